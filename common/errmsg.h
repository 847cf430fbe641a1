/* The sentence that goes with an errno: library code fills a caller's buffer instead of
 * logging (the caller logs once, with context). */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Write the sentence into ERR (unless an earlier, more precise one is there) and return R. */
static inline int errmsg_set(char *err, size_t errsize, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline int errmsg_set(char *err, size_t errsize, int r, const char *fmt, ...)
{
	va_list ap;

	if (errsize && !err[0]) {
		va_start(ap, fmt);
		vsnprintf(err, errsize, fmt, ap);
		va_end(ap);
	}
	return r;
}
