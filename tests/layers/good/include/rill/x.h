/* Fixture (good tree): public headers include public headers, same folder form. */
#include <stddef.h>
#include "common.h"
