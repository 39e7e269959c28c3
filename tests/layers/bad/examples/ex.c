/* Fixture (bad tree): an example reaching into src/ two ways. */
#include <rill.h>
#include "../src/core/run.h"
#include "core/run.h"
