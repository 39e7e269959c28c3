/* Fixture (good tree): the command line includes public headers and its own. */
#include <rill.h>
#include "rill/sys/kind.h"
#include "opts.h"
