/* fuzz_reader.c — libFuzzer target for rill's record file reader: any bytes
 * must read as records that lie inside a buffer the reader owns, or end in
 * a clean 0 or RILL_ECORRUPT, never a crash or a huge allocation. */
#include <stdint.h>
#include <string.h>

#include <rill.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rill_reader *r;
    rill_record rec;
    size_t total = 8;
    int rc;
    if (rill_reader_open_memory(&r, data, size) < 0)
        return 0;
    while ((rc = rill_reader_next(&rec, r)) == 1) {
        volatile unsigned char sink = 0;
        size_t i;
        total += 8 + rec.key_len + rec.len;
        if (total > size)
            __builtin_trap(); /* a record longer than the input */
        for (i = 0; i < rec.key_len; i++)
            sink ^= ((const unsigned char *)rec.key)[i];
        for (i = 0; i < rec.len; i++)
            sink ^= ((const unsigned char *)rec.data)[i];
        (void)sink;
    }
    if (rc != 0 && rc != RILL_ECORRUPT)
        __builtin_trap();
    if (rc == 0 && total != size)
        __builtin_trap(); /* a clean end must be the end of the input */
    rill_reader_close(r);
    return 0;
}
