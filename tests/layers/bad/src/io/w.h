/* Fixture (bad tree): an io header. */
#include "../util/err.h"
