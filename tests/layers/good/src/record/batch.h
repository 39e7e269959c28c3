/* Fixture (good tree): one layer down, relative form. */
#include "../util/err.h"
