/* fuzz_fingerprint.c — libFuzzer target for decoding stored fingerprints
 * (rill_fingerprints_decode, src/state/fingerprint_codec.c), which reads
 * bytes from the catalog file of an output commit. Whatever the input, the
 * decoder must refuse it (RILL_ECORRUPT, or RILL_EVERSION for a later
 * format) or accept it without reading outside it; what it accepts must
 * encode back to exactly the same bytes (the encoding is canonical), be the
 * same as itself, describe itself line by line, and compare with fresh
 * fingerprints without failing. A failed check aborts, which libFuzzer (or
 * fuzz/driver.c over the seeds in fuzz/corpus/fingerprint) reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "fuzz_fingerprint: check failed at line %d: %s\n",   \
                    __LINE__, #cond);                                            \
            abort();                                                             \
        }                                                                        \
    } while (0)

static void count_line(const char *text, void *payload)
{
    CHECK(text != NULL && strchr(text, '\n') == NULL);
    ++*(size_t *)payload;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rill_fingerprints *f = NULL, *fresh = NULL;
    void *back = NULL;
    size_t len = 0, lines = 0;
    char why[256];
    int rc = rill_fingerprints_decode(&f, size ? data : NULL, size);
    CHECK(rc == 0 || rc == RILL_ECORRUPT || rc == RILL_EVERSION || rc == RILL_ENOMEM);
    if (rc < 0) {
        CHECK(f == NULL);
        return 0;
    }
    CHECK(rill_fingerprints_encode(&back, &len, f) == 0);
    CHECK(len == size && memcmp(back, data, size) == 0);
    CHECK(rill_fingerprints_compare(why, sizeof(why), f, f) == 0 && why[0] == '\0');
    CHECK(rill_fingerprints_describe(f, count_line, &lines) == 0 && lines >= 1);
    CHECK(rill_fingerprints_new(&fresh) == 0);
    rc = rill_fingerprints_compare(why, sizeof(why), fresh, f);
    CHECK(rc == 0 || (rc == 1 && why[0] != '\0'));
    rill_fingerprints_free(fresh);
    free(back);
    rill_fingerprints_free(f);
    return 0;
}
