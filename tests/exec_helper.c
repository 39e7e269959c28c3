/* exec_helper.c — a small command for test_exec.c's exec stages, reading
 * its standard input one byte at a time (so it never reads past the record
 * it works on) and writing with write(2) (nothing buffered):
 *
 *   exec_helper reverse-len      length-prefixed records in, each record's
 *                                bytes reversed out, length-prefixed
 *   exec_helper die PREFIX CODE  lines echoed; a line starting with PREFIX
 *                                makes it write 5,000 bytes of noise then
 *                                "last words: LINE" to stderr and exit CODE
 *   exec_helper kill PREFIX      the same, but it kills itself (SIGKILL)
 *   exec_helper garbage          after the first record (length-prefixed),
 *                                writes a length prefix of 0xFFFFFFF0
 *   exec_helper pid              each line out as "PID LINE"
 *   exec_helper fail-at-end CODE lines echoed; at end of input, exit CODE */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put(int fd, const void *b, size_t n)
{
    const char *p = b;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            exit(99);
        p += w;
        n -= (size_t)w;
    }
}

/* Reads exactly n bytes; 0 at a clean end of input before any. */
static int get(void *b, size_t n)
{
    char *p = b;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(0, p + got, n - got);
        if (r <= 0) {
            if (got == 0)
                return 0;
            exit(98);
        }
        got += (size_t)r;
    }
    return 1;
}

/* One line without its newline into buf (NUL-terminated); 0 at the end. */
static int line(char *buf, size_t cap)
{
    size_t n = 0;
    char c;
    for (;;) {
        ssize_t r = read(0, &c, 1);
        if (r <= 0) {
            buf[n] = '\0';
            return n > 0;
        }
        if (c == '\n')
            break;
        if (n + 1 < cap)
            buf[n++] = c;
    }
    buf[n] = '\0';
    return 1;
}

static int reverse_len(void)
{
    unsigned char h[4], *b;
    uint32_t n, i;
    while (get(h, 4)) {
        n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        if ((b = malloc(n + 1)) == NULL || (n && !get(b, n)))
            return 97;
        for (i = 0; i < n / 2; i++) {
            unsigned char t = b[i];
            b[i] = b[n - 1 - i];
            b[n - 1 - i] = t;
        }
        put(1, h, 4);
        put(1, b, n);
        free(b);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static char buf[1 << 16];
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "reverse-len") == 0)
        return reverse_len();
    if (strcmp(mode, "garbage") == 0) {
        unsigned char h[4], junk[] = {0xFF, 0xFF, 0xFF, 0xF0, 'x'};
        if (get(h, 4)) {
            uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
            if (n && !get(buf, n < sizeof(buf) ? n : sizeof(buf)))
                return 97;
            put(1, junk, sizeof(junk));
        }
        while (read(0, buf, sizeof(buf)) > 0)
            ;
        return 0;
    }
    if ((strcmp(mode, "die") == 0 && argc == 4) || (strcmp(mode, "kill") == 0 && argc == 3)) {
        size_t plen = strlen(argv[2]);
        while (line(buf, sizeof(buf))) {
            if (strncmp(buf, argv[2], plen) == 0) {
                static const char noise[] = "noise noise noise noise noise noise noise noise\n";
                int i;
                put(2, "first words\n", 12);
                for (i = 0; i < 100; i++)
                    put(2, noise, strlen(noise));
                put(2, "last words: ", 12);
                put(2, buf, strlen(buf));
                put(2, "\n", 1);
                if (mode[0] == 'k')
                    raise(SIGKILL);
                return atoi(argv[3]);
            }
            put(1, buf, strlen(buf));
            put(1, "\n", 1);
        }
        return 0;
    }
    if (strcmp(mode, "pid") == 0 || (strcmp(mode, "fail-at-end") == 0 && argc == 3)) {
        char pid[32];
        int n = snprintf(pid, sizeof(pid), "%ld ", (long)getpid());
        while (line(buf, sizeof(buf))) {
            if (mode[0] == 'p')
                put(1, pid, (size_t)n);
            put(1, buf, strlen(buf));
            put(1, "\n", 1);
        }
        return mode[0] == 'p' ? 0 : atoi(argv[2]);
    }
    fprintf(stderr, "usage: exec_helper reverse-len|die P C|kill P|garbage|pid|fail-at-end C\n");
    return 2;
}
