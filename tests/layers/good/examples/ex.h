/* Fixture (good tree): an example's own header. */
#include <rill.h>
