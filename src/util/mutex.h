/* mutex.h -- rill__mutex: a pthread mutex that knows which thread holds it.
 *
 * For RILL__ASSERT_HELD(&mu): a function whose caller must hold a lock says
 * so at its top, and in assert builds (see assert.h) a caller that does not
 * hold it aborts there with file:line instead of racing silently.
 *
 * In assert builds every lock records the calling thread as the owner and
 * every unlock clears it, and lock, unlock, the condition waits and destroy
 * assert their own preconditions: no relocking by the holder (that would
 * deadlock), no unlock or wait by a thread that does not hold the mutex, no
 * destroying a held mutex. Outside assert builds the functions are
 * pthread_mutex_* and nothing more, and rill__mutex_held() cannot know, so it
 * answers 1 (it is meant to be called only inside an assert).
 *
 * The owner field exists in every build, so translation units built with and
 * without RILL_ASSERTS may share a rill__mutex. It is written only by the
 * holder (after locking, before unlocking) and read with relaxed atomics:
 * a thread that holds the mutex reads its own id, and one that does not can
 * never read its own id (its last write was the 0 of its unlock).
 *
 * Condition variables stay pthread_cond_t; wait with rill__cond_wait or
 * rill__cond_timedwait, which keep the owner right across the wait.
 * All functions are static inline: this header needs no .c file.
 */
#ifndef RILL_UTIL_MUTEX_H
#define RILL_UTIL_MUTEX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "assert.h"

typedef struct rill__mutex {
    pthread_mutex_t m;          /* the lock itself */
    _Atomic uintptr_t owner;    /* the holder's pthread_self(), 0 when free; assert builds only */
} rill__mutex;

/* Static initialiser: static rill__mutex mu = RILL__MUTEX_INIT; */
#define RILL__MUTEX_INIT { PTHREAD_MUTEX_INITIALIZER, 0 }

/* Aborts (assert builds) unless the calling thread holds *mu. */
#define RILL__ASSERT_HELD(mu) RILL__ASSERT_MSG(rill__mutex_held(mu), "the calling thread must hold this mutex")

/* pthread_t is an integer or a pointer where rill builds (glibc, musl, BSDs),
 * never 0 for a live thread. */
static inline uintptr_t rill__mutex_self(void)
{
    return (uintptr_t)pthread_self();
}

/* 0 or an error number from pthread_mutex_init. */
static inline int rill__mutex_init(rill__mutex *mu)
{
    atomic_init(&mu->owner, 0);
    return pthread_mutex_init(&mu->m, NULL);
}

static inline void rill__mutex_destroy(rill__mutex *mu)
{
    RILL__ASSERT_MSG(atomic_load_explicit(&mu->owner, memory_order_relaxed) == 0,
                     "destroying a mutex that a thread holds");
    pthread_mutex_destroy(&mu->m);
}

/* 1 when the calling thread holds *mu (in assert builds; always 1 otherwise). */
static inline int rill__mutex_held(rill__mutex *mu)
{
#if RILL__ASSERTS_ON
    return atomic_load_explicit(&mu->owner, memory_order_relaxed) == rill__mutex_self();
#else
    (void)mu;
    return 1;
#endif
}

static inline void rill__mutex_owned(rill__mutex *mu)
{
#if RILL__ASSERTS_ON
    atomic_store_explicit(&mu->owner, rill__mutex_self(), memory_order_relaxed);
#else
    (void)mu;
#endif
}

static inline void rill__mutex_released(rill__mutex *mu)
{
#if RILL__ASSERTS_ON
    RILL__ASSERT_MSG(rill__mutex_held(mu), "releasing a mutex the calling thread does not hold");
    atomic_store_explicit(&mu->owner, 0, memory_order_relaxed);
#else
    (void)mu;
#endif
}

static inline void rill__mutex_lock(rill__mutex *mu)
{
    RILL__ASSERT_MSG(!rill__mutex_held(mu), "locking a mutex the calling thread already holds");
    pthread_mutex_lock(&mu->m);
    rill__mutex_owned(mu);
}

/* 0 when the lock was taken, EBUSY when another thread holds it. */
static inline int rill__mutex_trylock(rill__mutex *mu)
{
    RILL__ASSERT_MSG(!rill__mutex_held(mu), "locking a mutex the calling thread already holds");
    int rc = pthread_mutex_trylock(&mu->m);
    if (rc == 0)
        rill__mutex_owned(mu);
    return rc;
}

static inline void rill__mutex_unlock(rill__mutex *mu)
{
    rill__mutex_released(mu);
    pthread_mutex_unlock(&mu->m);
}

/* pthread_cond_wait on *mu, which the caller holds before and after. */
static inline int rill__cond_wait(pthread_cond_t *cv, rill__mutex *mu)
{
    rill__mutex_released(mu);
    int rc = pthread_cond_wait(cv, &mu->m);
    rill__mutex_owned(mu);
    return rc;
}

/* pthread_cond_timedwait on *mu: 0, or ETIMEDOUT once abstime has passed. */
static inline int rill__cond_timedwait(pthread_cond_t *cv, rill__mutex *mu, const struct timespec *abstime)
{
    rill__mutex_released(mu);
    int rc = pthread_cond_timedwait(cv, &mu->m, abstime);
    rill__mutex_owned(mu);
    return rc;
}

#endif
