/* oom_alloc.h — a malloc family in front of the C library's that makes
 * the Nth allocation fail (countdown), says that one did (failed) and
 * counts the usable bytes handed out and not freed (live), for the tests
 * that fail every allocation in turn (test_oom.c, test_catalog_oom.c,
 * test_fingerprint_oom.c). Include it once, in the test's one file.
 * Sanitizer builds bring their own allocator: there OOM_SKIP is defined
 * and nothing is replaced. Under valgrind this one is replaced in turn:
 * oom_injects() says whether it is in use. */
#ifndef RILL_TESTS_OOM_ALLOC_H
#define RILL_TESTS_OOM_ALLOC_H

#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OOM_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define OOM_SKIP 1
#endif
#endif

#ifndef OOM_SKIP
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static atomic_long countdown = -1; /* allocations left before one fails; -1: off */
static atomic_long live;           /* usable bytes handed out and not freed */
static atomic_int failed;

static int should_fail(void)
{
    long left = atomic_load(&countdown);
    while (left >= 0) {
        if (atomic_compare_exchange_weak(&countdown, &left, left - 1)) {
            if (left == 0) {
                atomic_store(&failed, 1);
                errno = ENOMEM; /* as the C library's does (opendir passes it on) */
                return 1;
            }
            return 0;
        }
    }
    return 0;
}

void *malloc(size_t n)
{
    void *p = should_fail() ? NULL : __libc_malloc(n);
    if (p)
        atomic_fetch_add(&live, (long)malloc_usable_size(p));
    return p;
}

void *calloc(size_t n, size_t m)
{
    void *p = should_fail() ? NULL : __libc_calloc(n, m);
    if (p)
        atomic_fetch_add(&live, (long)malloc_usable_size(p));
    return p;
}

void *realloc(void *old, size_t n)
{
    long before = old ? (long)malloc_usable_size(old) : 0;
    void *p;
    if (should_fail())
        return NULL;
    p = __libc_realloc(old, n);
    if (p || n == 0)
        atomic_fetch_sub(&live, before);
    if (p)
        atomic_fetch_add(&live, (long)malloc_usable_size(p));
    return p;
}

void *aligned_alloc(size_t align, size_t n)
{
    void *p = should_fail() ? NULL : __libc_memalign(align, n);
    if (p)
        atomic_fetch_add(&live, (long)malloc_usable_size(p));
    return p;
}

void free(void *p)
{
    if (p)
        atomic_fetch_sub(&live, (long)malloc_usable_size(p));
    __libc_free(p);
}

/* Whether allocations come here and can be made to fail: not under
 * valgrind, whose malloc family replaces this one even in the executable
 * (nothing fails there, and live moves only where the compiler inlined
 * this free into its caller). Asked through volatile pointers, which no
 * compiler inlines. */
static inline int oom_injects(void)
{
    void *(*volatile alloc)(size_t) = malloc;
    void (*volatile release)(void *) = free;
    void *p;
    atomic_store(&countdown, 0);
    p = alloc(1);
    atomic_store(&countdown, -1);
    atomic_store(&failed, 0);
    release(p);
    return p == NULL;
}
#endif

#endif
