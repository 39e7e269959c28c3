/* Fixture (good tree): the bottom layer includes only public headers. */
#include "rill/common.h"
