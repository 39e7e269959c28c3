/* util_noassert.c — the non-assert half of test_util: this translation unit
 * is built with RILL_ASSERTS undefined whatever the build type, so it shows
 * what RILL__ASSERT and rill__mutex are in Release builds. test_util.c calls
 * the functions below. That the file compiles under -Wall -Wextra -Werror is
 * itself part of the test: `only_asserted` below is read by nothing but an
 * assert, and must draw no unused-variable warning. */
#undef RILL_ASSERTS
#include "util/assert.h"
#include "util/mutex.h"

#include "util_noassert.h"

static int evaluations;

static int count_evaluation(void)
{
    evaluations++;
    return 0;
}

int noassert_asserts_on(void)
{
    return RILL__ASSERTS_ON;
}

int noassert_evaluations_of_failing_asserts(void)
{
    int only_asserted = count_evaluation();

    evaluations = 0;
    RILL__ASSERT(only_asserted == 1);
    RILL__ASSERT(count_evaluation());
    RILL__ASSERT_MSG(count_evaluation(), "compiled out");
    RILL__ASSERT(0);
    return evaluations;
}

int noassert_mutex_works_and_held_says_yes(void)
{
    rill__mutex mu;
    int held_unlocked, ok;

    if (rill__mutex_init(&mu) != 0)
        return 0;
    held_unlocked = rill__mutex_held(&mu);
    rill__mutex_lock(&mu);
    ok = rill__mutex_held(&mu) && atomic_load(&mu.owner) == 0;
    rill__mutex_unlock(&mu);
    /* An unlock by a non-holder is not checked here: it would be undefined
     * behaviour for pthread, so the test does not try it. */
    ok = ok && rill__mutex_trylock(&mu) == 0;
    rill__mutex_unlock(&mu);
    rill__mutex_destroy(&mu);
    return ok && held_unlocked;
}
