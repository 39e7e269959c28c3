/* Fixture (good tree): the command line's own header. */
#include <rill.h>
