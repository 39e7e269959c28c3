/* Fixture (bad tree): dist may include core. */
#include "../core/run.h"
