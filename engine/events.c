#include "events.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine-internal.h"
#include "strutil.h"

void events_emit(struct engine *e, const char *kind, const char *name, const char *fmt, ...)
{
	char *line = e->events[e->events_seq % EVENTS_RING];
	struct timespec ts;
	char when[48] = "";
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	str_rfc3339(&ts, when, sizeof(when));
	n = snprintf(line, EVENT_LINE_MAX, "%s %s %s ", when, kind, name);
	if (n < 0 || n >= EVENT_LINE_MAX - 2)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, EVENT_LINE_MAX - (size_t) n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	e->events_seq++;

	struct container_waiter *w = e->event_waiters, *next;
	for (; w; w = next) {
		next = w->next;
		events_waiter_del(e, w);
		w->wake(w);
	}
}

uint64_t events_head(struct engine *e)
{
	return e->events_seq;
}

size_t events_read(struct engine *e, uint64_t *pos, char *buf, size_t size)
{
	size_t used = 0;

	if (e->events_seq > EVENTS_RING && *pos < e->events_seq - EVENTS_RING)
		*pos = e->events_seq - EVENTS_RING; /* overwritten meanwhile */
	while (*pos < e->events_seq) {
		const char *line = e->events[*pos % EVENTS_RING];
		size_t len = strlen(line);

		if (used + len > size)
			break;
		memcpy(buf + used, line, len);
		used += len;
		(*pos)++;
	}
	return used;
}

void events_waiter_add(struct engine *e, struct container_waiter *w)
{
	w->prev = NULL;
	w->next = e->event_waiters;
	if (e->event_waiters)
		e->event_waiters->prev = w;
	e->event_waiters = w;
	w->linked = true;
}

void events_waiter_del(struct engine *e, struct container_waiter *w)
{
	if (!w->linked)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		e->event_waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->next = w->prev = NULL;
	w->linked = false;
}
