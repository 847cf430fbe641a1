/* The ctl command parser: every verb, every argument form, every malformed input. */
#include <errno.h>
#include <signal.h>

#include "check.h"
#include "ctl.h"

static int parse(const char *s, struct ctl_cmd *cmd)
{
	char err[256];

	return ctl_parse(s, strlen(s), cmd, err, sizeof(err));
}

int main(void)
{
	struct ctl_cmd c;

	CHECK(parse("run\n", &c) == 0 && c.verb == CTL_RUN);
	CHECK(parse("run", &c) == 0 && c.verb == CTL_RUN);
	CHECK(parse("start\n", &c) == 0 && c.verb == CTL_RUN);
	CHECK(parse("  run  \n", &c) == 0 && c.verb == CTL_RUN);
	CHECK(parse("stop\n", &c) == 0 && c.verb == CTL_STOP && c.secs == 10);
	CHECK(parse("stop 3\n", &c) == 0 && c.verb == CTL_STOP && c.secs == 3);
	CHECK(parse("stop 0", &c) == 0 && c.secs == 0);
	CHECK(parse("stop 3600", &c) == 0 && c.secs == 3600);
	CHECK(parse("restart 2", &c) == 0 && c.verb == CTL_RESTART && c.secs == 2);
	CHECK(parse("kill", &c) == 0 && c.verb == CTL_KILL && c.sig == SIGKILL);
	CHECK(parse("kill TERM", &c) == 0 && c.sig == SIGTERM);
	CHECK(parse("kill SIGUSR1", &c) == 0 && c.sig == SIGUSR1);
	CHECK(parse("kill hup", &c) == 0 && c.sig == SIGHUP);
	CHECK(parse("kill 9", &c) == 0 && c.sig == 9);
	CHECK(parse("kill 64", &c) == 0 && c.sig == 64);

	CHECK(parse("pause", &c) == 0 && c.verb == CTL_PAUSE);
	CHECK(parse("resume\n", &c) == 0 && c.verb == CTL_RESUME);
	CHECK(parse("pause 3", &c) == -EINVAL);
	CHECK(parse("commit web-v2\n", &c) == 0 && c.verb == CTL_COMMIT &&
	      !strcmp(c.image, "web-v2"));
	CHECK(parse("commit", &c) == -EINVAL);
	CHECK(parse("commit a b", &c) == -EINVAL);
	CHECK(parse("", &c) == -EINVAL);
	CHECK(parse("\n", &c) == -EINVAL);
	CHECK(parse("bogus\n", &c) == -EINVAL);
	CHECK(parse("RUN", &c) == -EINVAL);
	CHECK(parse("run now", &c) == -EINVAL);
	CHECK(parse("run\nstop\n", &c) == -EINVAL);
	CHECK(parse("stop abc", &c) == -EINVAL);
	CHECK(parse("stop -1", &c) == -EINVAL);
	CHECK(parse("stop 3601", &c) == -EINVAL);
	CHECK(parse("stop 99999999999999999999999", &c) == -EINVAL);
	CHECK(parse("stop 1 2", &c) == -EINVAL);
	CHECK(parse("kill NOSIG", &c) == -EINVAL);
	CHECK(parse("kill 0", &c) == -EINVAL);
	CHECK(parse("kill 65", &c) == -EINVAL);
	CHECK(parse("kill SIG", &c) == -EINVAL);
	CHECK(ctl_parse("run\0x", 5, &c, (char[64]){0}, 64) == -EINVAL);
	char big[400];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(parse(big, &c) == -EINVAL);
	return check_done();
}
