/* Fixture (good tree): an example includes public headers and its own. */
#include <rill.h>
#include "ex.h"
