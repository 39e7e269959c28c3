/* test_util.c — the internal assert macro (src/util/assert.h) and the mutex
 * that knows its holder (src/util/mutex.h). This translation unit forces
 * RILL_ASSERTS on whatever the build type, so it tests the assert build;
 * util_noassert.c is built with it off and tests the Release build. A failing
 * assert aborts, so those cases run it in a forked child and read its stderr. */
#undef RILL_ASSERTS
#define RILL_ASSERTS 1
#include "util/assert.h"
#include "util/mutex.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util_noassert.h"

/* Runs fn in a child process; returns its stderr (caller frees) and sets
 * *sig to the signal that ended it, or 0 when it exited. */
static char *run_in_child(void (*fn)(void), int *sig)
{
    int fds[2], status;
    size_t len = 0;
    ssize_t got;
    char *out = calloc(4096, 1);
    pid_t pid;

    assert_non_null(out);
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        signal(SIGABRT, SIG_DFL);
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        fn();
        _exit(0);
    }
    close(fds[1]);
    while (len < 4095 && (got = read(fds[0], out + len, 4095 - len)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        assert_true(got > 0);
        len += (size_t)got;
    }
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    *sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return out;
}

static int evaluations;

static int counted(int value)
{
    evaluations++;
    return value;
}

static void assert_holds_and_evaluates_its_condition_once(void **state)
{
    (void)state;
    evaluations = 0;
    RILL__ASSERT(counted(1));
    RILL__ASSERT_MSG(counted(2) == 2, "two is two");
    assert_int_equal(evaluations, 2);
    assert_int_equal(RILL__ASSERTS_ON, 1);
}

enum { FAILING_ASSERT_LINE = __LINE__ + 4 };
static void failing_assert(void)
{
    volatile int one = 1;
    RILL__ASSERT(one + one == 3);
}

static void failing_assert_prints_file_line_function_and_expression_then_aborts(void **state)
{
    char want[128];
    int sig;
    char *err = run_in_child(failing_assert, &sig);

    (void)state;
    snprintf(want, sizeof(want), "test_util.c:%d: failing_assert: internal assertion failed: one + one == 3\n",
             (int)FAILING_ASSERT_LINE);
    assert_int_equal(sig, SIGABRT);
    assert_non_null(strstr(err, want));
    free(err);
}

static void failing_assert_msg(void)
{
    volatile int pending = -1;
    RILL__ASSERT_MSG(pending >= 0, "pending count went negative");
}

static void failing_assert_msg_adds_its_message(void **state)
{
    int sig;
    char *err = run_in_child(failing_assert_msg, &sig);

    (void)state;
    assert_int_equal(sig, SIGABRT);
    assert_non_null(strstr(err, "internal assertion failed: pending >= 0 (pending count went negative)\n"));
    free(err);
}

static void asserts_compile_out_without_rill_asserts(void **state)
{
    (void)state;
    assert_int_equal(noassert_asserts_on(), 0);
    /* Failing asserts whose conditions were never evaluated, and no abort. */
    assert_int_equal(noassert_evaluations_of_failing_asserts(), 0);
    assert_true(noassert_mutex_works_and_held_says_yes());
}

static void mutex_held_is_true_under_lock_and_false_after_unlock(void **state)
{
    rill__mutex mu;

    (void)state;
    assert_int_equal(rill__mutex_init(&mu), 0);
    assert_false(rill__mutex_held(&mu));
    rill__mutex_lock(&mu);
    assert_true(rill__mutex_held(&mu));
    rill__mutex_unlock(&mu);
    assert_false(rill__mutex_held(&mu));
    assert_int_equal(rill__mutex_trylock(&mu), 0);
    assert_true(rill__mutex_held(&mu));
    rill__mutex_unlock(&mu);
    assert_false(rill__mutex_held(&mu));
    rill__mutex_destroy(&mu);
}

struct holder {
    rill__mutex *mu;
    pthread_barrier_t locked, checked;
    int held_in_thread;
};

static void *hold_until_checked(void *arg)
{
    struct holder *h = arg;
    rill__mutex_lock(h->mu);
    h->held_in_thread = rill__mutex_held(h->mu);
    pthread_barrier_wait(&h->locked);
    pthread_barrier_wait(&h->checked);
    rill__mutex_unlock(h->mu);
    return NULL;
}

static void mutex_held_is_false_while_another_thread_holds_it(void **state)
{
    static rill__mutex mu = RILL__MUTEX_INIT;
    struct holder h = {.mu = &mu};
    pthread_t t;

    (void)state;
    pthread_barrier_init(&h.locked, NULL, 2);
    pthread_barrier_init(&h.checked, NULL, 2);
    assert_int_equal(pthread_create(&t, NULL, hold_until_checked, &h), 0);
    pthread_barrier_wait(&h.locked);
    assert_true(h.held_in_thread);
    assert_false(rill__mutex_held(&mu));
    assert_int_equal(rill__mutex_trylock(&mu), EBUSY);
    assert_false(rill__mutex_held(&mu));
    pthread_barrier_wait(&h.checked);
    assert_int_equal(pthread_join(t, NULL), 0);
    rill__mutex_lock(&mu);
    assert_true(rill__mutex_held(&mu));
    rill__mutex_unlock(&mu);
    pthread_barrier_destroy(&h.locked);
    pthread_barrier_destroy(&h.checked);
}

struct waiter {
    rill__mutex mu;
    pthread_cond_t cv;
    int signalled, held_in_thread;
};

static void *signal_under_lock(void *arg)
{
    struct waiter *w = arg;
    rill__mutex_lock(&w->mu);
    w->held_in_thread = rill__mutex_held(&w->mu);
    w->signalled = 1;
    pthread_cond_signal(&w->cv);
    rill__mutex_unlock(&w->mu);
    return NULL;
}

static void mutex_held_follows_the_lock_through_a_condition_wait(void **state)
{
    struct waiter w = {.signalled = 0};
    struct timespec soon;
    pthread_t t;

    (void)state;
    assert_int_equal(rill__mutex_init(&w.mu), 0);
    assert_int_equal(pthread_cond_init(&w.cv, NULL), 0);
    rill__mutex_lock(&w.mu);
    assert_int_equal(pthread_create(&t, NULL, signal_under_lock, &w), 0);
    while (!w.signalled)
        rill__cond_wait(&w.cv, &w.mu);
    assert_true(w.held_in_thread);      /* the other thread held it while we waited */
    assert_true(rill__mutex_held(&w.mu));
    clock_gettime(CLOCK_REALTIME, &soon);
    assert_int_equal(rill__cond_timedwait(&w.cv, &w.mu, &soon), ETIMEDOUT);
    assert_true(rill__mutex_held(&w.mu));
    rill__mutex_unlock(&w.mu);
    assert_false(rill__mutex_held(&w.mu));
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_cond_destroy(&w.cv);
    rill__mutex_destroy(&w.mu);
}

static void held_assert_without_the_lock(void)
{
    static rill__mutex mu = RILL__MUTEX_INIT;
    RILL__ASSERT_HELD(&mu);
}

static void assert_held_aborts_when_the_calling_thread_does_not_hold_the_mutex(void **state)
{
    int sig;
    char *err = run_in_child(held_assert_without_the_lock, &sig);

    (void)state;
    assert_int_equal(sig, SIGABRT);
    assert_non_null(strstr(err, ": held_assert_without_the_lock: internal assertion failed: "
                                "rill__mutex_held(&mu) (the calling thread must hold this mutex)\n"));
    free(err);
}

static void unlock_without_the_lock(void)
{
    static rill__mutex mu = RILL__MUTEX_INIT;
    rill__mutex_unlock(&mu);
}

static void unlocking_a_mutex_the_thread_does_not_hold_aborts(void **state)
{
    int sig;
    char *err = run_in_child(unlock_without_the_lock, &sig);

    (void)state;
    assert_int_equal(sig, SIGABRT);
    assert_non_null(strstr(err, "(releasing a mutex the calling thread does not hold)\n"));
    free(err);
}

static void lock_twice(void)
{
    static rill__mutex mu = RILL__MUTEX_INIT;
    rill__mutex_lock(&mu);
    rill__mutex_lock(&mu);
}

static void relocking_a_mutex_the_thread_holds_aborts_instead_of_deadlocking(void **state)
{
    int sig;
    char *err = run_in_child(lock_twice, &sig);

    (void)state;
    assert_int_equal(sig, SIGABRT);
    assert_non_null(strstr(err, "(locking a mutex the calling thread already holds)\n"));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(assert_holds_and_evaluates_its_condition_once),
        cmocka_unit_test(failing_assert_prints_file_line_function_and_expression_then_aborts),
        cmocka_unit_test(failing_assert_msg_adds_its_message),
        cmocka_unit_test(asserts_compile_out_without_rill_asserts),
        cmocka_unit_test(mutex_held_is_true_under_lock_and_false_after_unlock),
        cmocka_unit_test(mutex_held_is_false_while_another_thread_holds_it),
        cmocka_unit_test(mutex_held_follows_the_lock_through_a_condition_wait),
        cmocka_unit_test(assert_held_aborts_when_the_calling_thread_does_not_hold_the_mutex),
        cmocka_unit_test(unlocking_a_mutex_the_thread_does_not_hold_aborts),
        cmocka_unit_test(relocking_a_mutex_the_thread_holds_aborts_instead_of_deadlocking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
