/* Fixture (bad tree): a test helper, outside the layering. */
#include "../src/cli/main.c"
