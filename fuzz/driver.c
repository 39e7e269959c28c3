/* driver.c — runs a libFuzzer target over a corpus without libFuzzer.
 *
 * Linked with a fuzz target (instead of -fsanitize=fuzzer), this main() feeds
 * LLVMFuzzerTestOneInput every file named on the command line and every file
 * in every directory named there (not recursively, in name order), so the
 * seed corpus runs under any compiler as an ordinary test. Each input is
 * read into a buffer of exactly its size, so a sanitizer build catches a
 * read past its end. Arguments starting with '-' (libFuzzer flags) are
 * ignored. Exits 0 when every input passed; a failing input aborts in the
 * target. Finding no input at all is an error too, so that a mistyped corpus
 * path cannot pass as an empty run. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *prog = "fuzz";

/* Reads the whole of path into a malloc'd buffer of exactly its size (one
 * byte for an empty file). NULL with a message on failure. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0, got;
    uint8_t chunk[4096];
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
        return NULL;
    }
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + got > cap) {
            size_t c = cap ? cap * 2 : sizeof(chunk);
            uint8_t *b;
            while (c < len + got)
                c *= 2;
            b = realloc(buf, c);
            if (b == NULL) {
                fprintf(stderr, "%s: out of memory reading %s\n", prog, path);
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = b;
            cap = c;
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: cannot read %s\n", prog, path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    {
        /* an exact-size copy, so reading one byte past the input is caught */
        uint8_t *exact = malloc(len ? len : 1);
        if (exact == NULL) {
            fprintf(stderr, "%s: out of memory reading %s\n", prog, path);
            free(buf);
            return NULL;
        }
        if (len)
            memcpy(exact, buf, len);
        free(buf);
        *size = len;
        return exact;
    }
}

static int run_file(const char *path)
{
    size_t size = 0;
    uint8_t *data = read_file(path, &size);
    if (data == NULL)
        return -1;
    printf("%s: %s (%zu bytes)\n", prog, path, size);
    fflush(stdout);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file in dir; the number run, or -1 on error. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    long ran = 0;
    if (d == NULL) {
        fprintf(stderr, "%s: cannot open directory %s: %s\n", prog, dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **m = realloc(names, (cap ? cap * 2 : 16) * sizeof(*names));
            if (m == NULL)
                break;
            names = m;
            cap = cap ? cap * 2 : 16;
        }
        {
            size_t len = strlen(dir) + strlen(e->d_name) + 2;
            names[n] = malloc(len);
            if (names[n] == NULL)
                break;
            snprintf(names[n], len, "%s/%s", dir, e->d_name);
        }
        n++;
    }
    closedir(d);
    if (e != NULL) {
        fprintf(stderr, "%s: out of memory listing %s\n", prog, dir);
        ran = -1;
    }
    if (n)
        qsort(names, n, sizeof(*names), by_name);
    for (i = 0; i < n; i++) {
        struct stat st;
        if (ran >= 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(names[i]) < 0)
                ran = -1;
            else
                ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    long total = 0;
    int i;
    if (argc > 0 && argv[0] != NULL) {
        const char *slash = strrchr(argv[0], '/');
        prog = slash ? slash + 1 : argv[0];
    }
    for (i = 1; i < argc; i++) {
        struct stat st;
        long ran;
        if (argv[i][0] == '-')
            continue;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: cannot find %s: %s\n", prog, argv[i], strerror(errno));
            return 1;
        }
        if (S_ISDIR(st.st_mode))
            ran = run_dir(argv[i]);
        else
            ran = run_file(argv[i]) < 0 ? -1 : 1;
        if (ran < 0)
            return 1;
        total += ran;
    }
    if (total == 0) {
        fprintf(stderr, "%s: no inputs (usage: %s FILE_OR_DIR...)\n", prog, prog);
        return 1;
    }
    printf("%s: %ld inputs passed\n", prog, total);
    return 0;
}
