#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "strutil.h"

bool log_debug_enabled;

void log_msg(const char *level, const char *fmt, ...)
{
	struct timespec ts;
	char when[48] = "";
	char line[1024];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	str_rfc3339(&ts, when, sizeof(when));
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so lines from threads do not interleave. */
	fprintf(stderr, "%s ctrfs %s: %s\n", when, level, line);
}
