/* assert.h -- internal invariants: RILL__ASSERT and RILL__ASSERT_MSG.
 *
 * Two kinds of check live in rill (STYLE.md): a caller's misuse of the API
 * returns an error code; an invariant of the engine itself (a pending count
 * never negative, the run's lock held where a function requires it) is
 * asserted here. A failed assert is a bug in rill: it prints
 *     FILE:LINE: FUNCTION: internal assertion failed: EXPRESSION
 * (and the message, for RILL__ASSERT_MSG) on stderr and aborts.
 *
 * The asserts are on when RILL_ASSERTS is defined to non-zero, which
 * CMakeLists.txt does in Debug and sanitizer builds (`make sanitize` builds
 * Debug) and whenever -DRILL_ASSERTS=ON is given; they are compiled out in
 * Release and RelWithDebInfo (`make test`, `make bench`). Compiled out, the
 * condition is not evaluated, so it must have no side effects the program
 * depends on; it is still type-checked, inside sizeof, so a variable read
 * only by an assert draws no unused-variable warning.
 *
 * RILL__ASSERT(cond)            cond: a scalar expression, true when all is well
 * RILL__ASSERT_MSG(cond, msg)   msg: a string literal saying what went wrong
 * RILL__ASSERTS_ON              1 when asserts are compiled in, else 0
 */
#ifndef RILL_UTIL_ASSERT_H
#define RILL_UTIL_ASSERT_H

#if defined(RILL_ASSERTS) && RILL_ASSERTS
#define RILL__ASSERTS_ON 1
#else
#define RILL__ASSERTS_ON 0
#endif

#if RILL__ASSERTS_ON

#include <stdio.h>
#include <stdlib.h>

#if defined(__GNUC__)
__attribute__((cold))
#endif
static inline _Noreturn void rill__assert_fail(const char *file, int line, const char *func,
                                               const char *expr, const char *msg)
{
    fprintf(stderr, "%s:%d: %s: internal assertion failed: %s%s%s%s\n", file, line, func, expr,
            msg ? " (" : "", msg ? msg : "", msg ? ")" : "");
    fflush(stderr);
    abort();
}

#if defined(__GNUC__)
#define RILL__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define RILL__UNLIKELY(x) (x)
#endif

#define RILL__ASSERT(cond)                                                            \
    (RILL__UNLIKELY(!(cond)) ? rill__assert_fail(__FILE__, __LINE__, __func__, #cond, NULL) \
                             : (void)0)
#define RILL__ASSERT_MSG(cond, msg)                                                          \
    (RILL__UNLIKELY(!(cond)) ? rill__assert_fail(__FILE__, __LINE__, __func__, #cond, "" msg "") \
                             : (void)0)

#else /* asserts compiled out: type-checked, never evaluated */

#define RILL__ASSERT(cond) ((void)sizeof(!(cond)))
#define RILL__ASSERT_MSG(cond, msg) ((void)sizeof(!(cond)), (void)sizeof("" msg ""))

#endif

#endif
