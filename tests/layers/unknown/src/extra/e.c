/* Fixture (bad tree): a folder that is in no layer. */
#include "../util/err.h"
