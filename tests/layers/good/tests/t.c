/* Fixture (good tree): tests are outside the layering and may include anything. */
#include "../src/core/run.h"
#include "../src/cli/main.c"
