/* gentext.c — writes deterministic English-like text whose word frequencies
 * follow Zipf's law: the demo's bundled sample and the benchmarks' input.
 *
 *     rill_gentext OUT MEGABYTES VOCABULARY SEED
 *
 * Word r (by rank) is r written in a bijective base of 24 syllables, so
 * frequent words are short and every word is distinct. Lines hold 6 to 17
 * words; a few end in a comma or a full stop. The same arguments always
 * give the same bytes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *syl[24] = {"a",  "ka", "lo", "mi", "ne", "ri", "to", "su",
                              "the", "an", "in", "er", "on", "es", "at", "en",
                              "or", "de", "ve", "ly", "ba", "go", "pu", "wi"};

static uint64_t rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int word(size_t rank, char *out)
{
    size_t n = rank + 1;
    int len = 0;
    while (n > 0) {
        const char *s;
        n -= 1;
        s = syl[n % 24];
        memcpy(out + len, s, strlen(s));
        len += (int)strlen(s);
        n /= 24;
    }
    return len;
}

int main(int argc, char **argv)
{
    double *cdf, total = 0;
    size_t vocab, i, bytes, limit;
    uint64_t seed;
    FILE *f;
    char line[1024];
    if (argc != 5) {
        fprintf(stderr, "usage: %s OUT MEGABYTES VOCABULARY SEED\n", argv[0]);
        return 2;
    }
    limit = (size_t)strtoull(argv[2], NULL, 10) << 20;
    vocab = strtoull(argv[3], NULL, 10);
    seed = strtoull(argv[4], NULL, 10);
    if (vocab == 0 || (cdf = malloc(vocab * sizeof(*cdf))) == NULL)
        return 1;
    for (i = 0; i < vocab; i++)
        cdf[i] = total += 1.0 / (double)(i + 1);
    if ((f = fopen(argv[1], "wb")) == NULL) {
        perror(argv[1]);
        return 1;
    }
    for (bytes = 0; bytes < limit;) {
        int words = 6 + (int)(rng(&seed) % 12), w, len = 0;
        for (w = 0; w < words; w++) {
            double u = (double)(rng(&seed) >> 11) / 9007199254740992.0 * total;
            size_t lo = 0, hi = vocab - 1;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (cdf[mid] < u)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (w)
                line[len++] = ' ';
            len += word(lo, line + len);
        }
        switch (rng(&seed) % 8) {
        case 0: line[len++] = ','; break;
        case 1: line[len++] = '.'; break;
        default: break;
        }
        line[len++] = '\n';
        if (fwrite(line, 1, (size_t)len, f) != (size_t)len) {
            perror(argv[1]);
            return 1;
        }
        bytes += (size_t)len;
    }
    free(cdf);
    return fclose(f) == 0 ? 0 : 1;
}
