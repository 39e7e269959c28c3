/* bench.c — runs rill's benchmarks and writes build/bench/results.json.
 *
 *     rill_bench OUTDIR [NAME...]     (NAME: overhead wordcount scaling stream skew
 *                                      checkpoint exec mpi; mpi only in builds with MPI)
 */
#include "bench.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

char *bench_map_file(const char *path, size_t *len, int flags)
{
    struct stat st;
    char *text;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) < 0)
        bench_die("cannot open %s", path);
    text = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | flags, fd, 0);
    close(fd);
    if (text == MAP_FAILED)
        bench_die("cannot map %s", path);
    *len = (size_t)st.st_size;
    return text;
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

_Noreturn void bench_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "rill_bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

void bench_add(bench_ctx *c, const char *name, double value, const char *unit,
               double baseline, double ratio, const char *note)
{
    bench_row *r;
    if (c->nrows == 32)
        bench_die("too many rows");
    r = &c->rows[c->nrows++];
    snprintf(r->name, sizeof(r->name), "%s", name);
    snprintf(r->unit, sizeof(r->unit), "%s", unit);
    snprintf(r->note, sizeof(r->note), "%s", note ? note : "");
    r->value = value;
    r->baseline = baseline;
    r->ratio = ratio;
    printf("%-16s %10.3f %-8s baseline %10.3f  ratio %6.3f  %s\n", name, value, unit,
           baseline, ratio, r->note);
    fflush(stdout);
}

static void write_json(const bench_ctx *c)
{
    char path[4096];
    FILE *f;
    int i;
    snprintf(path, sizeof(path), "%s/results.json", c->dir);
    if ((f = fopen(path, "w")) == NULL)
        bench_die("cannot write %s", path);
    fprintf(f, "[\n");
    for (i = 0; i < c->nrows; i++) {
        const bench_row *r = &c->rows[i];
        fprintf(f,
                "  {\"name\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", \"baseline\": %.6g, "
                "\"ratio\": %.6g}%s\n",
                r->name, r->value, r->unit, r->baseline, r->ratio, i + 1 < c->nrows ? "," : "");
    }
    fprintf(f, "]\n");
    fclose(f);
    printf("wrote %s\n", path);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*run)(bench_ctx *);
    } all[] = {{"overhead", bench_overhead}, {"wordcount", bench_wordcount},
               {"scaling", bench_scaling}, {"stream", bench_stream},
               {"skew", bench_skew}, {"checkpoint", bench_checkpoint},
               {"exec", bench_exec},
               {"cli", bench_cli},
               {"incremental", bench_incremental},
               {"map", bench_map},
               {"cache", bench_cache},
               {"load", bench_load},
#ifdef RILL_HAVE_MPI
               {"mpi", bench_mpi},
#endif
    };
    bench_ctx c;
    size_t i;
    int a;
    memset(&c, 0, sizeof(c));
    if (argc == 2 && strcmp(argv[1], "--stream-child") == 0)
        return bench_stream_child();
#ifdef RILL_HAVE_MPI
    if (argc == 4 && strcmp(argv[1], "--mpi-child") == 0)
        return bench_mpi_child(argv[2], argv[3]);
#endif
    if (argc == 4 && strcmp(argv[1], "--load-child") == 0)
        return bench_load_child(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "--checkpoint-child") == 0)
        return bench_checkpoint_child(argv[2], argv[3], atoi(argv[4]));
    for (a = 2; a < argc; a++) { /* a group that is not one: nothing measured, nothing written */
        for (i = 0; i < sizeof(all) / sizeof(all[0]) && strcmp(argv[a], all[i].name) != 0; i++)
            ;
        if (i == sizeof(all) / sizeof(all[0])) {
            fprintf(stderr, "%s: no group '%s'\n", argv[0], argv[a]);
            argc = 1;
        }
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUTDIR [GROUP...]; groups:", argv[0]);
        for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
            fprintf(stderr, " %s", all[i].name);
        fprintf(stderr, " (none: all)\n");
        return 2;
    }
    c.dir = argv[1];
    c.gentext = RILL_GENTEXT;
    {
        static char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
            bench_die("cannot find this program's path");
        self[n] = '\0';
        c.self = self;
    }
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        int want = argc == 2;
        for (a = 2; a < argc; a++)
            want |= strcmp(argv[a], all[i].name) == 0;
        if (want)
            all[i].run(&c);
    }
    write_json(&c);
    return 0;
}
