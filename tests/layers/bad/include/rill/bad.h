/* Fixture (bad tree): a public header including a src/ header. */
#include "../../src/util/err.h"
