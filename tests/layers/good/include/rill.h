/* Fixture (good tree): the umbrella header includes the module headers. */
#include "rill/x.h"
#include "rill/sys/kind.h"
