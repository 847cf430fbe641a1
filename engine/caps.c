#include "caps.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdbool.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "cleanup.h"

/* moby/moby oci/caps/defaults.go: the set `docker run` gives without --cap-add. */
static const cap_value_t docker_default[] = {
	CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,	     CAP_FOWNER,
	CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,	     CAP_SETUID,
	CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
	CAP_KILL,    CAP_AUDIT_WRITE,
};

const char *const caps_docker_default[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
	NULL,
};

static bool is_kept(cap_value_t c, const cap_value_t *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == c)
			return true;
	return false;
}

int caps_normalize(const char *name, char *buf, size_t size)
{
	char full[64];
	cap_value_t v;

	if (strlen(name) > 40)
		return -EINVAL;
	snprintf(full, sizeof(full), "%s%s", strncasecmp(name, "CAP_", 4) ? "cap_" : "", name);
	for (char *p = full; *p; p++)
		*p = (char) tolower((unsigned char) *p);
	if (cap_from_name(full, &v) < 0 || v < 0 || v >= (cap_value_t) cap_max_bits())
		return -EINVAL;
	for (char *p = full; *p; p++)
		*p = (char) toupper((unsigned char) *p);
	return snprintf(buf, size, "%s", full) < (int) size ? 0 : -ENOBUFS;
}

int caps_apply(char *const *names)
{
	cap_value_t keep[64];
	size_t n = 0;
	cap_t caps;
	int r = 0;

	if (!names) {
		memcpy(keep, docker_default, sizeof(docker_default));
		n = ARRAY_SIZE(docker_default);
	} else {
		for (; *names && n < ARRAY_SIZE(keep); names++) {
			char lower[64];
			snprintf(lower, sizeof(lower), "%s", *names);
			for (char *p = lower; *p; p++)
				*p = (char) tolower((unsigned char) *p);
			if (cap_from_name(lower, &keep[n]) < 0)
				return -EINVAL;
			n++;
		}
	}
	for (cap_value_t c = 0; c < (cap_value_t) cap_max_bits(); c++) {
		if (is_kept(c, keep, n))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return negerrno();
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return negerrno();
	caps = cap_init();
	if (!caps)
		return -ENOMEM;
	if ((n && (cap_set_flag(caps, CAP_EFFECTIVE, (int) n, keep, CAP_SET) ||
		   cap_set_flag(caps, CAP_PERMITTED, (int) n, keep, CAP_SET))) ||
	    cap_set_proc(caps) < 0)
		r = negerrno();
	cap_free(caps);
	return r;
}
