/* tuple.h — the tuple encoding shared by batches and emitters.
 *
 * Layout: 0xF1, field count (1 byte), then per field a type byte and its
 * bytes: 'i' and 'd' 8 bytes in host order; 's' a 4-byte length, the text
 * and a NUL; 'b' a 4-byte length and the bytes. */
#ifndef RILL_RECORD_TUPLE_H
#define RILL_RECORD_TUPLE_H

#include <stdarg.h>
#include <stddef.h>

#define RILL__TUPLE_MAGIC 0xF1

/* Size of the encoding of the values ap holds under fmt; an error for an
 * unknown format letter or too many fields. */
int rill__tuple_size(const char *fmt, va_list ap, size_t *out);
/* Writes the encoding; dst has room for what rill__tuple_size said. */
void rill__tuple_write(char *dst, const char *fmt, va_list ap);

#endif
