/* Fixture (bad tree): util includes core through the include path. */
#include "core/run.h"
