/* Fixture (good tree): a layer above core includes core. */
#include "../core/run.h"
