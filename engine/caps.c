#include "caps.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "cleanup.h"

/* moby/moby oci/caps/defaults.go: the set `docker run` gives without --cap-add. */
static const cap_value_t docker_default[] = {
	CAP_CHOWN,	    CAP_DAC_OVERRIDE, CAP_FSETID,	  CAP_FOWNER, CAP_MKNOD,
	CAP_NET_RAW,	    CAP_SETGID,	      CAP_SETUID,	  CAP_SETFCAP, CAP_SETPCAP,
	CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL,		  CAP_AUDIT_WRITE,
};

static bool is_default(cap_value_t c)
{
	for (size_t i = 0; i < ARRAY_SIZE(docker_default); i++)
		if (docker_default[i] == c)
			return true;
	return false;
}

int caps_apply_default(void)
{
	cap_t caps;
	int r = 0;

	for (cap_value_t c = 0; c < (cap_value_t) cap_max_bits(); c++) {
		if (is_default(c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return negerrno();
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return negerrno();
	caps = cap_init();
	if (!caps)
		return -ENOMEM;
	if (cap_set_flag(caps, CAP_EFFECTIVE, ARRAY_SIZE(docker_default), docker_default, CAP_SET) ||
	    cap_set_flag(caps, CAP_PERMITTED, ARRAY_SIZE(docker_default), docker_default, CAP_SET) ||
	    cap_set_proc(caps) < 0)
		r = negerrno();
	cap_free(caps);
	return r;
}
