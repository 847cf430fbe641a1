/* Docker's default profile is an allowlist of ~350 syscalls; its effect is to refuse the
 * ones below (kernel modules, keyrings, clocks, mounts, namespaces, tracing, kexec, ...).
 * We state the refusals directly: the same result, and a list a reader can check. Refused
 * calls fail with EPERM, as under Docker; clone3 fails with ENOSYS so libc falls back to
 * clone, whose namespace flags we can inspect (clone3 passes them in memory). */
#include "syscall-filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>

#include "cleanup.h"

static const char *const denied[] = {
	"acct",		  "add_key",	    "bpf",		"clock_adjtime",
	"clock_settime",  "create_module",  "delete_module",	"finit_module",
	"fsconfig",	  "fsmount",	    "fsopen",		"fspick",
	"get_kernel_syms", "get_mempolicy", "init_module",	"ioperm",
	"iopl",		  "kcmp",	    "kexec_file_load",	"kexec_load",
	"keyctl",	  "lookup_dcookie", "mbind",		"mount",
	"mount_setattr",  "move_mount",	    "move_pages",	"name_to_handle_at",
	"nfsservctl",	  "open_by_handle_at", "open_tree",	"perf_event_open",
	"pivot_root",	  "process_vm_readv", "process_vm_writev", "ptrace",
	"query_module",	  "quotactl",	    "quotactl_fd",	"reboot",
	"request_key",	  "set_mempolicy",  "setns",		"settimeofday",
	"stime",	  "swapoff",	    "swapon",		"sysfs",
	"_sysctl",	  "umount",	    "umount2",		"unshare",
	"uselib",	  "userfaultfd",    "ustat",		"vm86",
	"vm86old",
};

struct syscall_filter {
	scmp_filter_ctx ctx;
};

int syscall_filter_new(struct syscall_filter **ret)
{
	struct syscall_filter *f = calloc(1, sizeof(*f));
	int r = 0;

	if (!f)
		return -ENOMEM;
	f->ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!f->ctx) {
		free(f);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ARRAY_SIZE(denied) && r == 0; i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		r = seccomp_rule_add(f->ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	/* New namespaces: clone with any CLONE_NEW* flag is refused, plain fork/threads pass. */
	if (r == 0)
		r = seccomp_rule_add(f->ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
	if (r == 0)
		r = seccomp_rule_add(f->ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r < 0) {
		syscall_filter_free(f);
		return r;
	}
	*ret = f;
	return 0;
}

int syscall_filter_load(struct syscall_filter *f)
{
	return seccomp_load(f->ctx);
}

void syscall_filter_free(struct syscall_filter *f)
{
	if (!f)
		return;
	seccomp_release(f->ctx);
	free(f);
}
