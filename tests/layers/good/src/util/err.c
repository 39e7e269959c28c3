/* Fixture (good tree): same-folder include; a generated header not in the tree is a warning only. */
#include "err.h"
#include "generated.h"
