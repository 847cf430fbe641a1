#include "ctl.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "strutil.h"

const char ctl_help[] =
	"run\nstart\nstop [SECS]\nkill [SIGNAL]\nrestart [SECS]\npause\nresume\ncommit IMAGE\n";

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{"HUP", SIGHUP},       {"INT", SIGINT},	  {"QUIT", SIGQUIT},   {"ILL", SIGILL},
	{"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},
	{"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
	{"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
	{"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
	{"TTOU", SIGTTOU},     {"URG", SIGURG},	  {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
	{"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
	{"PWR", SIGPWR},       {"SYS", SIGSYS},
};

int ctl_parse_signal(const char *s)
{
	uint64_t n;

	if (str_parse_uint(s, 64, &n) == 0)
		return n >= 1 ? (int) n : -EINVAL;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (!strcasecmp(s, signals[i].name))
			return signals[i].sig;
	return -EINVAL;
}

static const struct {
	const char *name;
	enum ctl_verb verb;
} verbs[] = {
	{"run", CTL_RUN},	{"start", CTL_RUN},	  {"stop", CTL_STOP},
	{"kill", CTL_KILL},	{"restart", CTL_RESTART}, {"pause", CTL_PAUSE},
	{"resume", CTL_RESUME}, {"commit", CTL_COMMIT},
};

int ctl_parse(const char *buf, size_t len, struct ctl_cmd *ret, char *err, size_t errsize)
{
	char line[256], *words[3] = {0}, *save = NULL;
	size_t nwords = 0, i;
	uint64_t secs;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len >= sizeof(line) || memchr(buf, '\0', len)) {
		snprintf(err, errsize, "Command too long or not text");
		return -EINVAL;
	}
	if (memchr(buf, '\n', len)) {
		snprintf(err, errsize, "One command per write");
		return -EINVAL;
	}
	memcpy(line, buf, len);
	line[len] = '\0';
	for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (nwords == ARRAY_SIZE(words)) {
			snprintf(err, errsize, "Too many arguments");
			return -EINVAL;
		}
		words[nwords++] = w;
	}
	if (nwords == 0) {
		snprintf(err, errsize,
			 "Empty command (verbs: run start stop kill restart pause resume commit)");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(words[0], verbs[i].name))
			break;
	if (i == ARRAY_SIZE(verbs)) {
		snprintf(err, errsize,
			 "Unknown command \"%.32s\" (verbs: run start stop kill restart pause "
			 "resume commit)",
			 words[0]);
		return -EINVAL;
	}
	*ret = (struct ctl_cmd){
		.verb = verbs[i].verb, .secs = CTL_STOP_DEFAULT_SECS, .sig = SIGKILL};
	if (nwords > 2 ||
	    ((ret->verb == CTL_RUN || ret->verb == CTL_PAUSE || ret->verb == CTL_RESUME) &&
	     nwords > 1)) {
		snprintf(err, errsize, "Too many arguments to %s", words[0]);
		return -EINVAL;
	}
	if (ret->verb == CTL_COMMIT) {
		if (nwords != 2 || strlen(words[1]) >= sizeof(ret->image)) {
			snprintf(err, errsize, "Usage: commit IMAGE");
			return -EINVAL;
		}
		snprintf(ret->image, sizeof(ret->image), "%s", words[1]);
		return 0;
	}
	if (nwords == 1)
		return 0;
	switch (ret->verb) {
	case CTL_STOP:
	case CTL_RESTART:
		if (str_parse_uint(words[1], CTL_STOP_MAX_SECS, &secs) < 0) {
			snprintf(err, errsize, "Bad timeout \"%.32s\": seconds from 0 to %d",
				 words[1], CTL_STOP_MAX_SECS);
			return -EINVAL;
		}
		ret->secs = (unsigned) secs;
		return 0;
	case CTL_KILL:
		ret->sig = ctl_parse_signal(words[1]);
		if (ret->sig < 0) {
			snprintf(err, errsize, "Unknown signal \"%.32s\"", words[1]);
			return -EINVAL;
		}
		return 0;
	default:
		return -EINVAL;
	}
}
