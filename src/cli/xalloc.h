/* xalloc.h — allocation for the command: out of memory prints a message and
 * exits 1 (only the CLI may exit on it; the library never does). */
#ifndef RILL_CLI_XALLOC_H
#define RILL_CLI_XALLOC_H

#include <stddef.h>

void *cli_xmalloc(size_t n);
void *cli_xcalloc(size_t n, size_t size);
void *cli_xrealloc(void *p, size_t n);
char *cli_xstrdup(const char *s);

#endif
