/* test_crash.c — kill -9 at seeded random moments of a checkpointed run
 * (tests/crash_pipeline.c: a splittable file source, a keyed combine, a
 * frame holding a reducer, a file sink), resume until it completes, and
 * compare its output, line for line, with an uninterrupted run's.
 *
 *     test_crash [KILLS]        (default 5; make crashtest runs 100)
 *     test_crash KILLS --mpi    each run under mpirun: the first of a trial
 *                               with 2 ranks, resumes with 2, 1 and 3 ranks
 *
 * Trials of up to five kills each run until KILLS kills were made; a kill
 * survives when its trial's output matches. Prints "survived N/KILLS".
 * Each resume must also have done what its state file called for: continued
 * from the checkpoint when the file held one (rill_checkpoint_restored, as
 * the program logs it), started afresh when it held none; the first kill
 * waits for a checkpoint, so that at least one resume restores. Prints
 * "resumes restored R of C checked". */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#ifndef CRASH_MPIRUN
#define CRASH_MPIRUN "mpirun"
#endif

static char dir[256];
static int kills_wanted = 5;
static int mpi;       /* runs go through mpirun (CRASH_MPIRUN) */
static int launches;  /* runs started, for the rank counts under mpirun */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void run_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

/* The checkpoints the state file holds (0: none; -1: unreadable). */
static int checkpoints_in(const char *state)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int n = -1;
    if (access(state, F_OK) != 0)
        return 0;
    if (sqlite3_open_v2(state, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT checkpoints, finished FROM rill_ckpt_run", -1, &q,
                           NULL) == SQLITE_OK) {
        int rc = sqlite3_step(q);
        n = rc == SQLITE_ROW ? (sqlite3_column_int(q, 1) ? -1 : sqlite3_column_int(q, 0))
            : rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

/* What the launch logged: 1 restored, 0 fresh, -1 nothing (killed first). */
static int logged_restored(const char *log)
{
    char buf[32] = "";
    FILE *f = fopen(log, "r");
    if (f == NULL)
        return -1;
    if (fgets(buf, sizeof(buf), f) == NULL)
        buf[0] = '\0';
    fclose(f);
    unlink(log);
    return strcmp(buf, "restored\n") == 0 ? 1 : strcmp(buf, "fresh\n") == 0 ? 0 : -1;
}

static char log_file[300];

/* Starts crash_pipeline; its pid. It logs to log_file. */
static pid_t start(const char *state, const char *out, int resume)
{
    char input[300];
    pid_t pid;
    run_path(input, sizeof(input), "input.txt");
    unlink(log_file); /* what it logs is its own: a launch killed first logs nothing */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *argv[] = {(char *)CRASH_PIPELINE, (char *)state, input, (char *)out,
                        "--log", log_file, resume ? "--resume" : NULL, NULL};
        if (!getenv("CRASH_VERBOSE"))
            freopen("/dev/null", "w", stderr);
        setsid(); /* a kill takes the launcher and every rank (kill_all) */
        if (mpi > 0) {
            static const int nps[] = {2, 1, 3};
            char cmd[2048];
            snprintf(cmd, sizeof(cmd), "exec %s -np %d %s %s %s %s --log %s %s", CRASH_MPIRUN,
                     resume ? nps[launches % 3] : 2, CRASH_PIPELINE, state, input, out,
                     log_file, resume ? "--resume" : "");
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        }
        execv(CRASH_PIPELINE, argv);
        _exit(127);
    }
    launches++;
    return pid;
}

/* SIGKILL to every process of the session pid leads: the program, or
 * mpirun and its ranks (each in a process group of its own). */
static int kill_all(pid_t pid)
{
    int rc = kill(pid, SIGKILL), round, found = 1;
    for (round = 0; found && round < 200 && mpi > 0; round++) { /* until none is left */
        DIR *d = opendir("/proc");
        struct dirent *e;
        struct timespec nap = {0, 5000000};
        found = 0;
        while (d && (e = readdir(d)) != NULL) {
            char path[300], buf[512], *p;
            long sid = 0;
            char st = 'Z';
            int f, n;
            pid_t q = (pid_t)atol(e->d_name);
            if (q <= 0 || q == pid)
                continue;
            snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
            if ((f = open(path, O_RDONLY)) < 0)
                continue;
            n = (int)read(f, buf, sizeof(buf) - 1);
            close(f);
            buf[n > 0 ? n : 0] = '\0';
            /* pid (comm) state ppid pgrp session: after the last ')' */
            if ((p = strrchr(buf, ')')) != NULL &&
                sscanf(p + 1, " %c %*d %*d %ld", &st, &sid) == 2 && sid == pid &&
                st != 'Z') { /* a zombie is dead already */
                kill(q, SIGKILL);
                found = 1;
            }
        }
        if (d)
            closedir(d);
        if (found)
            nanosleep(&nap, NULL);
    }
    return rc;
}

static int finish(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The output files' lines (hidden temporary files aside), sorted, joined. */
static char *output_of(const char *out)
{
    struct dirent **names;
    char **lines = NULL, *all;
    size_t n = 0, cap = 0, total = 1, i;
    int k, m = scandir(out, &names, NULL, alphasort);
    assert_true(m >= 0);
    for (k = 0; k < m; k++) {
        char path[600], buf[256];
        FILE *f;
        if (names[k]->d_name[0] != '.') {
            snprintf(path, sizeof(path), "%s/%s", out, names[k]->d_name);
            assert_non_null(f = fopen(path, "r"));
            while (fgets(buf, sizeof(buf), f)) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 1024;
                    assert_non_null(lines = realloc(lines, cap * sizeof(*lines)));
                }
                assert_non_null(lines[n] = strdup(buf));
                total += strlen(buf);
                n++;
            }
            fclose(f);
        }
        free(names[k]);
    }
    free(names);
    qsort(lines, n, sizeof(*lines), cmp_line);
    assert_non_null(all = calloc(1, total));
    for (i = 0; i < n; i++) {
        strcat(all, lines[i]);
        free(lines[i]);
    }
    free(lines);
    return all;
}

static void make_input(void)
{
    char path[300];
    uint64_t x = 88172645463325252ull;
    FILE *f;
    int l, w;
    run_path(path, sizeof(path), "input.txt");
    assert_non_null(f = fopen(path, "w"));
    for (l = 0; l < 40000; l++) {
        for (w = 0; w < 8; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            fprintf(f, w ? " w%d" : "w%d", (int)(x % (1 + (uint64_t)(l % 3000))));
        }
        fputc('\n', f);
    }
    fclose(f);
}

/* Starts a resume and checks, once it ended (finish), that it restored
 * exactly when its state file held a checkpoint. */
static int checked, restored, wrong;

static void check_resume(int had)
{
    int got = logged_restored(log_file);
    if (got < 0 || had < 0)
        return; /* killed before it logged, or the file says nothing */
    checked++;
    restored += got;
    if (got != (had > 0)) {
        fprintf(stderr, "a resume over %d checkpoints %s\n", had,
                got ? "restored" : "started afresh");
        wrong++;
    }
}

static void killed_runs_resume_to_the_output_of_an_uninterrupted_run(void **state_)
{
    char state[300], out[300], ref_state[300], ref_out[300], *ref;
    int kills = 0, survived = 0, trial = 0;
    unsigned seed = 42;
    (void)state_;
    snprintf(dir, sizeof(dir), "/tmp/rill-test-crash-XXXXXX");
    assert_non_null(mkdtemp(dir));
    make_input();
    run_path(log_file, sizeof(log_file), "launch.log");
    run_path(ref_state, sizeof(ref_state), "ref.db");
    run_path(ref_out, sizeof(ref_out), "ref-out");
    mpi = -mpi; /* the reference is a single process */
    assert_int_equal(finish(start(ref_state, ref_out, 0)), 0);
    mpi = -mpi;
    ref = output_of(ref_out);
    assert_true(strlen(ref) > 1000);
    while (kills < kills_wanted) {
        int in_trial = 0, rc = -1;
        char *got;
        snprintf(state, sizeof(state), "%s/t%d.db", dir, trial);
        snprintf(out, sizeof(out), "%s/t%d-out", dir, trial);
        while (in_trial < 5 && kills < kills_wanted) {
            int had = in_trial > 0 ? checkpoints_in(state) : 0;
            pid_t pid = start(state, out, in_trial > 0);
            long ms = mpi ? 300 + rand_r(&seed) % 900 : 20 + rand_r(&seed) % 130;
            struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
            if (trial == 0 && in_trial == 0) { /* the first kill: after a checkpoint */
                struct timespec nap = {0, 2000000};
                int waited;
                for (waited = 0; waited < 5000 && checkpoints_in(state) <= 0; waited++)
                    nanosleep(&nap, NULL);
            } else {
                nanosleep(&d, NULL);
            }
            rc = -1;
            if (kill_all(pid) == 0 && (rc = finish(pid)) == -SIGKILL) {
                if (in_trial > 0)
                    check_resume(had);
                kills++;
                in_trial++;
                continue;
            }
            if (rc == -1)
                rc = finish(pid);
            if (in_trial > 0)
                check_resume(had);
            break; /* it finished before the kill */
        }
        if (rc != 0) { /* resume to the end; 3: it had finished before the kill
                          (under mpirun the kill can land while ranks exit) */
            int had = checkpoints_in(state);
            rc = finish(start(state, out, 1));
            assert_true(rc == 0 || rc == 3);
            check_resume(had);
        }
        unlink(log_file);
        got = output_of(out);
        if (strcmp(got, ref) == 0)
            survived += in_trial;
        else
            fprintf(stderr, "trial %d (%d kills): the output differs\n", trial, in_trial);
        free(got);
        trial++;
    }
    printf("survived %d/%d\n", survived, kills_wanted);
    printf("resumes restored %d of %d checked\n", restored, checked);
    free(ref);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    assert_int_equal(survived, kills_wanted);
    assert_int_equal(wrong, 0);
    assert_true(restored >= 1);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(killed_runs_resume_to_the_output_of_an_uninterrupted_run),
    };
    if (argc > 1)
        kills_wanted = atoi(argv[1]);
    mpi = argc > 2 && strcmp(argv[2], "--mpi") == 0;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
