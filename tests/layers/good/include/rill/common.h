/* Fixture (good tree): a public header with no includes. */
