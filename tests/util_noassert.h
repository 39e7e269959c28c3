/* util_noassert.h — functions of util_noassert.c, the translation unit of
 * test_util built without RILL_ASSERTS. */
#ifndef RILL_TESTS_UTIL_NOASSERT_H
#define RILL_TESTS_UTIL_NOASSERT_H

/* RILL__ASSERTS_ON as that translation unit sees it (0). */
int noassert_asserts_on(void);

/* Runs failing asserts whose conditions count their evaluations; returns the
 * count (0 when they are compiled out, and nothing aborted). */
int noassert_evaluations_of_failing_asserts(void);

/* Locks, trylocks and unlocks a rill__mutex; 1 when that worked, no owner was
 * recorded and rill__mutex_held said yes both unlocked and locked. */
int noassert_mutex_works_and_held_says_yes(void);

#endif
