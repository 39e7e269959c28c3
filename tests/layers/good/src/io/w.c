/* Fixture (good tree): a sibling include is allowed but listed as a warning. */
#include "../dist/dist.h"
