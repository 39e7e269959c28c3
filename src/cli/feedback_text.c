/* feedback_text.c — text from outside (stage names, the spec's path,
 * errors) made fit for the files the feedback writes: JSON and HTML must be
 * UTF-8, and a stage may be named with any bytes. */
#include <stdlib.h>
#include <string.h>

#include "feedback_impl.h"
#include "utf8.h"

char *fb_utf8_clean(const char *s)
{
    size_t n = strlen(s), i = 0, o = 0;
    unsigned char *d = malloc(3 * n + 1); /* each bad byte grows to 3 */
    const unsigned char *u = (const unsigned char *)s;
    if (d == NULL)
        return NULL;
    while (i < n) {
        size_t len = cli_utf8_len(u + i, n - i);
        int ok = len > 0;
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
