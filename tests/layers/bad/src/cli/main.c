/* Fixture (bad tree): the command line includes a src/ header below it. */
#include "opts.h"
#include "rill/bad.h"
#include "../util/err.h"
