/* The ctl command language: one command per write, "VERB [ARG]". */
#pragma once

#include <stddef.h>

enum ctl_verb {
	CTL_RUN,
	CTL_STOP,
	CTL_KILL,
	CTL_RESTART,
	CTL_PAUSE,
	CTL_RESUME,
	CTL_COMMIT,
};

struct ctl_cmd {
	enum ctl_verb verb;
	unsigned secs;	/* stop, restart */
	int sig;	/* kill */
	char image[72]; /* commit: the new image's name (validated by the engine) */
};

#define CTL_STOP_DEFAULT_SECS 10
#define CTL_STOP_MAX_SECS 3600

/* Parse the LEN bytes of one write. -EINVAL with a sentence in ERR on anything else. */
int ctl_parse(const char *buf, size_t len, struct ctl_cmd *ret, char *err, size_t errsize);

/* A signal by name (TERM, SIGTERM, term) or number (1-64). -EINVAL if unknown. */
int ctl_parse_signal(const char *s);

/* The verbs, for reading ctl. */
extern const char ctl_help[];
