/* state_helpers.h — a scratch folder per test suite that keeps state files
 * (test_checkpoint.c, test_publish.c, test_state_file.c, test_ckpt_timing.c): dir is made by setup and removed with
 * everything in it by teardown; state is a state file path inside it, which
 * fresh_state removes with its WAL files. */
#ifndef RILL_TESTS_STATE_HELPERS_H
#define RILL_TESTS_STATE_HELPERS_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[256], state[300];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **s)
{
    (void)s;
    snprintf(dir, sizeof(dir), "/tmp/rill-test-state-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(state, sizeof(state), "%s/state.db", dir);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void fresh_state(void)
{
    char path[400];
    unlink(state);
    snprintf(path, sizeof(path), "%s-wal", state);
    unlink(path);
    snprintf(path, sizeof(path), "%s-shm", state);
    unlink(path);
}

#endif
