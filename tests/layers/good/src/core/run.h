/* Fixture (good tree): two layers down, and the include-path form. */
#include "../record/batch.h"
#include "util/err.h"
#include <rill/x.h>
