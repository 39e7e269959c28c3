/* rill/common.h — what every part of rill's public API shares: the export
 * macro, the error codes with their text, and the thread-local last-error
 * message that names the stage, record and file involved in a failure.
 *
 * Conventions of the whole API: functions return int, 0 on success and a
 * negative RILL_E* code on failure; rill_error_last() then describes it on the
 * thread that called. Handles are opaque, created by rill_x_new(&out, ...) and
 * released by rill_x_free(x), which accepts NULL. */
#ifndef RILL_COMMON_H
#define RILL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RILL_EXTERN __attribute__((visibility("default")))
#define RILL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RILL_EXTERN
#define RILL_PRINTF(f, a)
#endif

#define RILL_VERSION_MAJOR 0
#define RILL_VERSION_MINOR 2
#define RILL_VERSION_PATCH 0
#define RILL_VERSION_STRING "0.2.0"

/* The error table: name, code, text. One place for codes and their meaning. */
#define RILL_ERRNO_MAP(X)                                                  \
    X(OK, 0, "success")                                                    \
    X(ENOMEM, -1, "out of memory")                                         \
    X(EINVAL, -2, "invalid argument")                                      \
    X(EPIPELINE, -3, "invalid pipeline")                                   \
    X(EUSER, -4, "a user callback failed")                                 \
    X(ECANCELLED, -5, "cancelled")                                         \
    X(ENOTFOUND, -6, "not found")                                          \
    X(EIO, -7, "input/output error")                                       \
    X(ECORRUPT, -8, "corrupt or malformed data")                           \
    X(ETYPE, -9, "value has another type")                                 \
    X(ERANGE, -10, "value out of range")                                   \
    X(ETHREAD, -11, "cannot start a thread")                                \
    X(EINCOMPLETE, -12, "work was left unclaimed")                          \
    X(EFINISHED, -13, "the run had already finished")                      \
    X(EVERSION, -14, "written by a newer version of rill")                 \
    X(EBUSY, -15, "in use by another process")                             \
    X(EEXISTS, -16, "would replace what is there")                         \
    X(EACCES, -17, "permission denied or read-only")                       \
    X(ENOSPC, -18, "no space left on the device")                          \
    X(ENOTDIR, -19, "a folder was expected, a file is there")              \
    X(EISDIR, -20, "a file was expected, a folder is there")

typedef enum rill_error_code {
#define RILL__ERR_ENUM(name, code, text) RILL_##name = code,
    RILL_ERRNO_MAP(RILL__ERR_ENUM)
#undef RILL__ERR_ENUM
} rill_error_code;

/* Text of an error code ("out of memory"); a static string, never NULL. */
RILL_EXTERN const char *rill_strerror(int code);

/* The message of the last failure on this thread: names the stage, the record
 * and the file involved where there are any. Borrowed: valid until the next
 * rill call on this thread. Never NULL ("" when there is none). */
RILL_EXTERN const char *rill_error_last(void);

/* Sets this thread's last-error message. A user callback may call it before
 * returning non-zero; rill then puts that text into the run's error message
 * after the stage and record it names. fmt NULL clears it. */
RILL_EXTERN void rill_error_set(const char *fmt, ...) RILL_PRINTF(1, 2);

/* Clears this thread's last-error message. */
RILL_EXTERN void rill_error_clear(void);

#ifdef __cplusplus
}
#endif
#endif
