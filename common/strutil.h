/* String helpers: a growable buffer, RFC 3339 times, random ids, bounded number parsing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct strbuf {
	char *data; /* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
};

int strbuf_add(struct strbuf *sb, const char *s, size_t len);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_free(struct strbuf *sb);

/* Format a realtime timestamp as RFC 3339 UTC with nanoseconds ("...T16:22:59.123456789Z"). */
int str_rfc3339(const struct timespec *ts, char *buf, size_t size);

/* 64 lowercase hex digits from getrandom(); BUF must hold 65 bytes. */
int str_random_id(char buf[65]);

/* Parse a whole decimal unsigned number in [0, max]; -EINVAL otherwise. */
int str_parse_uint(const char *s, uint64_t max, uint64_t *ret);

/* Strip one trailing newline (a shell's `echo` adds one). */
void str_chomp(char *s, size_t *len);
