/* Fixture (bad tree): the umbrella header. */
#include "rill/bad.h"
