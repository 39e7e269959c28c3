/* bench_cli.c — cli_wordcount: the word count spec run by the `rill`
 * command against the C example (examples/wordcount.c), both as processes
 * on the same 200 MB Zipf text with 2 workers, interleaved. The spec's
 * words are lower-cased runs of letters, as the C example's are, so both
 * do the same work; the ratio is the spec's throughput over the example's
 * (target >= 0.95: the command adds nothing to a pipeline written in C). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#if defined(RILL_CLI_BIN) && defined(RILL_WORDCOUNT_BIN)

/* Runs argv with stdout to /dev/null; the wall time. */
static double timed(char *const argv[])
{
    double t0 = bench_now();
    int status;
    pid_t pid = fork();
    if (pid < 0)
        bench_die("cannot fork");
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null < 0)
            _exit(125);
        dup2(null, 1);
        execv(argv[0], argv);
        _exit(126);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            bench_die("cannot wait for %s", argv[0]);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_die("%s failed (status %d)", argv[0], status);
    return bench_now() - t0;
}

void bench_cli(bench_ctx *c)
{
    const char *path = bench_wordcount_input(c);
    char set[4200];
    double tc[BENCH_REPS], tr[BENCH_REPS], mb, base, mine;
    struct stat st;
    int rep;
    if (stat(path, &st) != 0)
        bench_die("cannot read %s", path);
    mb = (double)st.st_size / (1 << 20);
    snprintf(set, sizeof(set), "text.files=%s", path);
    {
        char *example[] = {RILL_WORDCOUNT_BIN, (char *)path, "--workers", "2", "--top", "10", NULL};
        char *spec[] = {RILL_CLI_BIN, "run", "-q", "-w", "2", RILL_WORDCOUNT_SPEC, "-s", set, NULL};
        for (rep = 0; rep < BENCH_REPS; rep++) {
            tc[rep] = timed(example);
            tr[rep] = timed(spec);
        }
    }
    base = mb / bench_median(tc, BENCH_REPS);
    mine = mb / bench_median(tr, BENCH_REPS);
    bench_add(c, "cli_wordcount", mine, "MB/s", base, mine / base,
              "rill run examples/wordcount.yaml vs examples/wordcount, 2 workers; "
              "target >= 0.95");
}

#else

void bench_cli(bench_ctx *c)
{
    (void)c;
    printf("cli_wordcount: skipped (built without the examples)\n");
}

#endif
