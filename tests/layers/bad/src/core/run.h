/* Fixture (bad tree): a core header. */
#include "../record/../util/err.h"
