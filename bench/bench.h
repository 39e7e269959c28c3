/* bench.h — the benchmark harness: timing, medians and result rows.
 *
 * Each benchmark measures rill against a baseline in the same run, repeats
 * both (interleaved, so a noisy neighbour hits both alike) and reports the
 * medians. Rows go to stdout, one line each, and to results.json. */
#ifndef RILL_BENCH_H
#define RILL_BENCH_H

#include <stddef.h>

#include <rill.h>

#define BENCH_REPS 5

typedef struct bench_row {
    char name[48];
    double value;
    char unit[16];
    double baseline;
    double ratio;
    char note[160];
} bench_row;

typedef struct bench_ctx {
    const char *dir;   /* build/bench: inputs are generated here */
    const char *gentext; /* path of the text generator */
    const char *self;    /* this program, to run a part in a fresh process */
    bench_row rows[32];
    int nrows;
} bench_ctx;

double bench_now(void);
double bench_median(double *v, int n);
void bench_add(bench_ctx *c, const char *name, double value, const char *unit,
               double baseline, double ratio, const char *note);
/* Exits the program with a message when a benchmark's own check fails. */
_Noreturn void bench_die(const char *fmt, ...);
/* The file at path mapped read-only (flags: more mmap flags, such as
 * MAP_POPULATE), *len its size; dies when it cannot. munmap it. */
char *bench_map_file(const char *path, size_t *len, int flags);

void bench_overhead(bench_ctx *c);
void bench_wordcount(bench_ctx *c);
void bench_scaling(bench_ctx *c);
/* bench_scaling.c's CPU-bound job (2,000 hash rounds a record) and XOR
 * reducer, also run over MPI ranks. */
int bench_hash_job(rill_emitter *out, const rill_record *in, void *payload);
int bench_xor_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                  void *payload);
int bench_xor_merge(void *store, void *other, void *payload);
void bench_stream(bench_ctx *c);
void bench_skew(bench_ctx *c);
void bench_checkpoint(bench_ctx *c);
void bench_exec(bench_ctx *c);
void bench_cli(bench_ctx *c);
void bench_incremental(bench_ctx *c);
void bench_map(bench_ctx *c); /* bench_map.c: rill_map (issue 15) */
void bench_cache(bench_ctx *c); /* bench_cache.c: the source cache (issue 14) */
/* bench_load.c: the word count under a competing load, and its growth (issue 16) */
void bench_load(bench_ctx *c);
int bench_load_child(const char *workers, const char *path);
int bench_checkpoint_child(const char *text, const char *state, int resume);
/* The 200 MB Zipf text, generated on first use; its path. */
const char *bench_wordcount_input(bench_ctx *c);
/* The word count's stages after work (taken): rill_read_blocks, the
 * words_split job, the built-in sum; < 0 as the calls fail. */
int bench_wordcount_stages(rill_pipeline *p, rill_batch *work);
int bench_stream_child(void);
#ifdef RILL_HAVE_MPI
void bench_mpi(bench_ctx *c);
int bench_mpi_child(const char *kind, const char *text);
#endif

#endif
