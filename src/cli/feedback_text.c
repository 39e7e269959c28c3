/* feedback_text.c — text from outside (stage names, the spec's path,
 * errors) made fit for the files the feedback writes: JSON and HTML must be
 * UTF-8, and a stage may be named with any bytes. */
#include <stdlib.h>
#include <string.h>

#include "feedback_impl.h"

char *fb_utf8_clean(const char *s)
{
    size_t n = strlen(s), i = 0, o = 0;
    unsigned char *d = malloc(3 * n + 1); /* each bad byte grows to 3 */
    const unsigned char *u = (const unsigned char *)s;
    if (d == NULL)
        return NULL;
    while (i < n) {
        size_t len = u[i] < 0x80 ? 1 : (u[i] & 0xe0) == 0xc0 ? 2 : (u[i] & 0xf0) == 0xe0 ? 3
                   : (u[i] & 0xf8) == 0xf0 ? 4 : 0;
        size_t k;
        int ok = len > 0 && i + len <= n;
        for (k = 1; ok && k < len; k++)
            ok = (u[i + k] & 0xc0) == 0x80;
        if (ok && len == 2)
            ok = u[i] >= 0xc2; /* no overlong forms */
        if (ok && len == 3)
            ok = !(u[i] == 0xe0 && u[i + 1] < 0xa0) && !(u[i] == 0xed && u[i + 1] >= 0xa0);
        if (ok && len == 4)
            ok = !(u[i] == 0xf0 && u[i + 1] < 0x90) && !(u[i] == 0xf4 && u[i + 1] >= 0x90) &&
                 u[i] <= 0xf4;
        if (ok) {
            memcpy(d + o, u + i, len);
            o += len;
            i += len;
        } else {
            memcpy(d + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    d[o] = '\0';
    return (char *)d;
}
