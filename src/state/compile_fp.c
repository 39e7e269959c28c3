/* compile_fp.c — a compile's fingerprints (rill/fingerprint.h): the
 * options' own (configuration, custom hashes, broadcasts, commands), with
 * rill's version and the code holding the callbacks always added, encoded
 * for the commit and compared with the last commit's; and the broadcast
 * inputs the callbacks read. */
#include "compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "rill/fingerprint.h"

/* A copy of the options' fingerprints (or new ones): encoded and decoded,
 * which keeps everything compare needs. */
static int copy_of(const rill_fingerprints *f, rill_fingerprints **out)
{
    void *bytes;
    size_t len;
    int rc;
    if (f == NULL)
        return rill_fingerprints_new(out);
    if ((rc = rill_fingerprints_encode(&bytes, &len, f)) < 0)
        return rc;
    rc = rill_fingerprints_decode(out, bytes, len);
    free(bytes);
    return rc;
}

int rill__cmp_fingerprints(rill_compile *c, void **bytes, size_t *len)
{
    const void *const fns[] = {(const void *)c->o.keys,  (const void *)c->o.direct,
                               (const void *)c->o.map,   (const void *)c->o.group,
                               (const void *)c->o.ref,   (const void *)c->o.full};
    rill_fingerprints *f;
    size_t i;
    int rc;
    if ((rc = copy_of(c->o.fingerprints, &f)) < 0)
        return rc;
    for (i = 0; i < sizeof(fns) / sizeof(fns[0]) && rc == 0; i++)
        if (fns[i])
            rc = rill_fingerprints_add_code(f, fns[i]); /* the object holding it */
    if (rc == 0)
        rc = rill_fingerprints_encode(bytes, len, f);
    rill_fingerprints_free(f);
    return rc;
}

int rill__cmp_fp_compare(char *why, size_t cap, const void *old, size_t old_len,
                         const void *now, size_t now_len)
{
    rill_fingerprints *a = NULL, *b = NULL;
    char reason[400];
    int rc;
    if (old_len == now_len && memcmp(old, now, now_len) == 0)
        return 0; /* canonical: the same bytes, the same fingerprints */
    if (rill_fingerprints_decode(&a, old, old_len) < 0) {
        rill_error_clear();
        snprintf(why, cap, "full: the last commit's fingerprints cannot be read (another "
                 "rill's, or damaged)");
        return 1;
    }
    if ((rc = rill_fingerprints_decode(&b, now, now_len)) == 0 &&
        (rc = rill_fingerprints_compare(reason, sizeof(reason), a, b)) == 1)
        snprintf(why, cap, "full: %s", reason);
    rill_fingerprints_free(a);
    rill_fingerprints_free(b);
    return rc;
}

int rill_compile_broadcast(const void **data, size_t *len, rill_compile_out *out,
                           const char *name)
{
    if (data == NULL || len == NULL || out == NULL || name == NULL)
        return rill__error(RILL_EINVAL, "rill_compile_broadcast: NULL argument");
    if (out->c->o.fingerprints == NULL)
        return rill__error(RILL_ENOTFOUND, "rill_compile_broadcast: no broadcast '%s' (the "
                           "compile's options have no fingerprints)", name);
    return rill_fingerprints_broadcast(out->c->o.fingerprints, name, data, len);
}
