/* Fixture (good tree): the same-folder form. */
#include <stdio.h>
#include "run.h"
