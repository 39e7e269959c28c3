/* Fixture (bad tree): core includes a layer above it and a test helper. */
#include "run.h"
#include "../dist/dist.h"
#include "../../tests/helper.h"
