/* error.h — internal side of rill's errors: set the thread-local message and
 * return the code in one statement, so error paths stay one line long. */
#ifndef RILL_UTIL_ERROR_H
#define RILL_UTIL_ERROR_H

#include <stdarg.h>

#include "rill/common.h"

#define RILL__ERROR_MAX 4096 /* room for a command's stderr (exec) */

/* Sets this thread's message from fmt and returns code. */
int rill__error(int code, const char *fmt, ...) RILL_PRINTF(2, 3);
int rill__error_v(int code, const char *fmt, va_list ap);
/* The code of a system errno: RILL_EACCES (EACCES, EPERM, EROFS),
 * RILL_ENOSPC (ENOSPC, EDQUOT), RILL_ENOTDIR, RILL_EISDIR, RILL_ENOTFOUND
 * (ENOENT), RILL_ENOMEM; RILL_EIO for the rest. */
int rill__errno_code(int err);
/* Sets this thread's message from fmt, ": " and strerror(err), and returns
 * rill__errno_code(err): for rill's own I/O, the path in fmt. */
int rill__error_errno(int err, const char *fmt, ...) RILL_PRINTF(2, 3);
/* Sets this thread's message to msg verbatim (copied) and returns code. */
int rill__error_str(int code, const char *msg);
/* Writes a printable, quoted prefix of bytes into out (at most cap bytes with
 * the NUL): "hello wor..." with non-printable bytes as \xNN. */
void rill__quote(char *out, size_t cap, const void *bytes, size_t len);

#define RILL__CHECK_ALLOC(p) \
    do { if ((p) == NULL) return rill__error(RILL_ENOMEM, "out of memory"); } while (0)

#endif
