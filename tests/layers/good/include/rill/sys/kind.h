/* Fixture (good tree): a method-table header reaching a public header two ways. */
#include "../x.h"
#include "rill/common.h"
