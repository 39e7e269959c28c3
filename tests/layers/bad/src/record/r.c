/* Fixture (bad tree): includes in comments do not count, strings open no comment.
 * #include "../dist/dist.h"
 */
// #include "../state/s.h"
#include "../util/err.h"
#include <core/run.h>
static const char *pattern = "dir/*.txt";
#include "../io/w.h"
