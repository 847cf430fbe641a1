/* The events stream: one line per state change ("TIME KIND NAME WHAT"), kept in a ring so a
 * reader can follow from where it is; readers waiting at the end are woken on the next one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct engine;
struct container_waiter;

#define EVENTS_RING 512

/* Record an event (lock held) and wake the event waiters. */
void events_emit(struct engine *e, const char *kind, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The sequence number the next event will get: where a new reader starts. */
uint64_t events_head(struct engine *e);

/* Copy whole lines of events from *POS on into BUF (at most SIZE bytes); advances *POS past
 * them. Returns the bytes copied; 0 when there is nothing new. Events overwritten in the ring
 * are skipped (the reader sees a gap in the sequence, not stale lines). */
size_t events_read(struct engine *e, uint64_t *pos, char *buf, size_t size);

/* Waiters woken (once, unlinked first) by the next event. */
void events_waiter_add(struct engine *e, struct container_waiter *w);
void events_waiter_del(struct engine *e, struct container_waiter *w);
