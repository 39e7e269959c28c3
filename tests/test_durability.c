/* test_durability.c — what a full disk and a power cut ask of rill's files.
 *
 * A full disk: a small file system of its own (a tmpfs of 512 KiB, mounted
 * in a private mount namespace of a child process, so nothing outlives
 * the test) holds the output folder or the state file. The run fails with
 * RILL_ENOSPC naming the file and the system's reason; nothing appears
 * under a final output name; a state file that could not take its
 * checkpoint still resumes once there is room again, with nothing lost.
 *
 * Syncs: under strace, every output file is synced before the rename that
 * publishes it, and its folder after the renames and before the state
 * file's last commit says the run finished. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static char dir[256];
static const char *self_path;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **s)
{
    (void)s;
    snprintf(dir, sizeof(dir), "/tmp/rill-test-durable-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **s)
{
    (void)s;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* 400 bytes a record: 2000 of them are 800 KB, more than the disk holds. */
static int wide(rill_emitter *out, const rill_record *in, void *payload)
{
    char line[400];
    (void)payload;
    memset(line, 'a' + (char)(i64(in) % 26), sizeof(line));
    return rill_emit(out, line, sizeof(line));
}

static rill_pipeline *wide_pipeline(int64_t n)
{
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, n)), 0);
    assert_int_equal(rill_job(p, "wide", NULL, wide, NULL), 0);
    return p;
}

/* Runs fn(mnt) in a child with a 512 KiB tmpfs at mnt, in a mount namespace
 * of its own; returns its exit status (77: no namespace could be made). */
static int on_small_disk(const char *mnt, int (*fn)(const char *))
{
    pid_t pid;
    int status;
    assert_int_equal(mkdir(mnt, 0755), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNS) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
            _exit(77);
        if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", mnt, "tmpfs", 0, "size=512k") < 0)
            _exit(77);
        _exit(fn(mnt));
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Files under dir whose names do not start with '.' (temporaries do). */
static int final_files(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int fill_output(const char *mnt)
{
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    char out[400];
    rill_pipeline *p = wide_pipeline(2000);
    int rc;
    snprintf(out, sizeof(out), "%s/out", mnt);
    d.dir = out;
    if (rill_output_dir(p, &d) < 0)
        return 10;
    rc = rill_run(p, NULL, NULL);
    rill_pipeline_free(p);
    if (rc != RILL_ENOSPC) {
        fprintf(stderr, "run: %d %s\n", rc, rill_error_last());
        return 11;
    }
    if (strstr(rill_error_last(), out) == NULL || strstr(rill_error_last(), strerror(ENOSPC)) == NULL) {
        fprintf(stderr, "message: %s\n", rill_error_last());
        return 12;
    }
    return final_files(out) == 0 ? 0 : 13; /* nothing under a final name */
}

static void a_full_disk_under_the_output_fails_the_run_by_name_and_publishes_nothing(void **s)
{
    char mnt[300];
    (void)s;
    snprintf(mnt, sizeof(mnt), "%s/out-disk", dir);
    assert_int_equal(on_small_disk(mnt, fill_output), 0);
}

/* The state file shares the small disk with a filler file; the run's
 * checkpoints outgrow what is left; then the filler goes and the run
 * resumes to the whole answer. */
static int sum_add(rill_emitter *recur, void *store, const rill_record *in, size_t n, void *pl)
{
    size_t i;
    (void)recur, (void)pl;
    for (i = 0; i < n; i++)
        *(int64_t *)store += (int64_t)in[i].len;
    return 0;
}

static int sum_merge(void *store, void *other, void *pl)
{
    (void)pl;
    *(int64_t *)store += *(int64_t *)other;
    return 0;
}

static int fill_state(const char *mnt)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_reduce_options ro = RILL_REDUCE_OPTIONS_INIT;
    char state[400], filler[400];
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_batch *res = NULL;
    int64_t total = 0;
    int attempt, rc = RILL_ENOSPC, fd;
    snprintf(state, sizeof(state), "%s/state.db", mnt);
    snprintf(filler, sizeof(filler), "%s/filler", mnt);
    fd = open(filler, O_WRONLY | O_CREAT, 0644);
    if (fd < 0)
        return 20;
    { /* leave about 120 KiB */
        char block[4096];
        int i;
        memset(block, 'x', sizeof(block));
        for (i = 0; i < 96; i++)
            if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
                return 21;
        close(fd);
    }
    ro.store_size = sizeof(int64_t);
    ro.add = sum_add;
    ro.merge = sum_merge;
    co.path = state;
    co.interval = 0.002;
    o.batch_records = 64;
    for (attempt = 0; attempt < 2; attempt++) {
        rill_pipeline *p = wide_pipeline(4000);
        co.resume = attempt;
        if (rill_reduce(p, "sum", &ro, NULL) < 0 || rill_checkpointing(p, &co) < 0)
            return 22;
        rc = rill_run(p, &o, &res);
        rill_pipeline_free(p);
        if (attempt == 0) {
            if (rc != RILL_ENOSPC) {
                fprintf(stderr, "first run: %d %s\n", rc, rill_error_last());
                return 23;
            }
            if (strstr(rill_error_last(), state) == NULL) {
                fprintf(stderr, "message: %s\n", rill_error_last());
                return 24;
            }
            unlink(filler); /* room again */
        }
    }
    if (rc != 0) {
        fprintf(stderr, "resume: %d %s\n", rc, rill_error_last());
        return 25;
    }
    total = only_int64(res);
    rill_batch_free(res);
    return total == 4000 * 400 ? 0 : 26;
}

static void a_full_disk_under_the_state_fails_the_run_and_a_resume_loses_nothing(void **s)
{
    char mnt[300];
    (void)s;
    snprintf(mnt, sizeof(mnt), "%s/state-disk", dir);
    assert_int_equal(on_small_disk(mnt, fill_state), 0);
}

/* ---- syncs, seen by strace ---- */

static int publish_child(const char *base)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    char out[400], state[400];
    rill_pipeline *p = wide_pipeline(300);
    int rc;
    snprintf(out, sizeof(out), "%s/out", base);
    snprintf(state, sizeof(state), "%s/state.db", base);
    d.dir = out;
    d.by_key = 0;
    co.path = state;
    if (rill_output_dir(p, &d) < 0 || rill_checkpointing(p, &co) < 0)
        return 30;
    rc = rill_run(p, NULL, NULL);
    rill_pipeline_free(p);
    return rc == 0 ? 0 : 31;
}

static void output_files_are_synced_before_their_rename_and_folders_before_the_state_says_so(void **s)
{
    char base[300], log[400], cmd[1200], line[2048];
    char synced[64][512];
    int nsynced = 0, renames = 0, dir_synced_at = -1, last_state_sync = -1, i = 0;
    FILE *f;
    (void)s;
    snprintf(base, sizeof(base), "%s/sync", dir);
    snprintf(log, sizeof(log), "%s/strace.log", dir);
    assert_int_equal(mkdir(base, 0755), 0);
    /* LeakSanitizer cannot run under ptrace: the child is looked at, not checked */
    snprintf(cmd, sizeof(cmd), "ASAN_OPTIONS=detect_leaks=0 strace -f -qq -y -e trace=fsync,fdatasync,rename,renameat,renameat2 "
             "-o %s %s --publish-child %s", log, self_path, base);
    assert_int_equal(system(cmd), 0);
    assert_non_null(f = fopen(log, "r"));
    while (fgets(line, sizeof(line), f)) {
        char *p;
        i++;
        if ((p = strstr(line, "fsync(")) || (p = strstr(line, "fdatasync("))) {
            char *lt = strchr(p, '<'), *gt = lt ? strchr(lt, '>') : NULL;
            if (!lt || !gt)
                continue;
            *gt = 0;
            if (strstr(lt + 1, "/out") && nsynced < 64)
                snprintf(synced[nsynced++], sizeof(synced[0]), "%s", lt + 1);
            if (strcmp(strrchr(lt + 1, '/'), "/out") == 0 && renames > 0)
                dir_synced_at = i; /* the folder, after a rename */
            if (strstr(lt + 1, "state.db"))
                last_state_sync = i;
        } else if ((p = strstr(line, "rename"))) {
            char *q = strchr(p, '"'), *e = q ? strchr(q + 1, '"') : NULL;
            int j, found = 0;
            if (!q || !e)
                continue;
            *e = 0; /* the temporary's name: synced before */
            for (j = 0; j < nsynced; j++)
                found |= strstr(synced[j], strrchr(q + 1, '/')) != NULL;
            if (!found)
                fail_msg("%s renamed before it was synced", q + 1);
            renames++;
        }
    }
    fclose(f);
    assert_true(renames >= 1);
    assert_true(dir_synced_at > 0);
    assert_true(last_state_sync > dir_synced_at); /* "finished" is committed after */
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_full_disk_under_the_output_fails_the_run_by_name_and_publishes_nothing),
        cmocka_unit_test(a_full_disk_under_the_state_fails_the_run_and_a_resume_loses_nothing),
        cmocka_unit_test(output_files_are_synced_before_their_rename_and_folders_before_the_state_says_so),
    };
    self_path = argv[0];
    if (argc == 3 && strcmp(argv[1], "--publish-child") == 0)
        return publish_child(argv[2]);
    return cmocka_run_group_tests(tests, setup, teardown);
}
