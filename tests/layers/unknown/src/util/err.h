/* Fixture (unknown tree): a header in a known layer. */
