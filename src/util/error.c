/* error.c — error codes' text and the thread-local last-error message.
 *
 * Each thread has its own message buffer, so worker threads can describe a
 * failure without locks; the run copies a worker's message into the run's
 * error and, at the end, onto the calling thread's buffer. A new message
 * may quote the last one (rill__error("...: %s", rill_error_last())): it is
 * formatted aside, then copied over it. */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[RILL__ERROR_MAX];

const char *rill_strerror(int code)
{
    switch (code) {
#define RILL__ERR_TEXT(name, c, text) case c: return text;
    RILL_ERRNO_MAP(RILL__ERR_TEXT)
#undef RILL__ERR_TEXT
    }
    return "unknown error";
}

const char *rill_error_last(void)
{
    return last_error;
}

void rill_error_clear(void)
{
    last_error[0] = '\0';
}

/* Formats into last_error, which an argument may point into. */
static void set_v(const char *fmt, va_list ap)
{
    char msg[RILL__ERROR_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    memcpy(last_error, msg, sizeof(msg));
}

void rill_error_set(const char *fmt, ...)
{
    va_list ap;
    if (fmt == NULL) { /* misuse: no message rather than a crash */
        last_error[0] = '\0';
        return;
    }
    va_start(ap, fmt);
    set_v(fmt, ap);
    va_end(ap);
}

int rill__error_v(int code, const char *fmt, va_list ap)
{
    set_v(fmt, ap);
    return code;
}

int rill__error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rill__error_v(code, fmt, ap);
    va_end(ap);
    return code;
}

int rill__errno_code(int err)
{
    switch (err) {
    case EACCES: case EPERM: case EROFS: return RILL_EACCES;
    case ENOSPC: case EDQUOT: return RILL_ENOSPC;
    case ENOTDIR: return RILL_ENOTDIR;
    case EISDIR: return RILL_EISDIR;
    case ENOENT: return RILL_ENOTFOUND;
    case ENOMEM: return RILL_ENOMEM;
    default: return RILL_EIO;
    }
}

int rill__error_errno(int err, const char *fmt, ...)
{
    va_list ap;
    size_t n;
    va_start(ap, fmt);
    set_v(fmt, ap);
    va_end(ap);
    n = strlen(last_error);
    snprintf(last_error + n, sizeof(last_error) - n, ": %s", strerror(err));
    return rill__errno_code(err);
}

int rill__error_str(int code, const char *msg)
{
    if (msg != last_error)
        snprintf(last_error, sizeof(last_error), "%s", msg);
    return code;
}

void rill__quote(char *out, size_t cap, const void *bytes, size_t len)
{
    const unsigned char *s = bytes;
    size_t o = 0, i;
    if (cap < 8) {
        if (cap) out[0] = '\0';
        return;
    }
    out[o++] = '"';
    for (i = 0; i < len; i++) {
        if (o + 8 >= cap) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
            out[o++] = (char)s[i];
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", s[i]);
    }
    out[o++] = '"';
    out[o] = '\0';
}
