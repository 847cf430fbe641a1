/* Docker's default profile is an allowlist of ~350 syscalls; its effect is to refuse the
 * ones below (kernel modules, keyrings, clocks, mounts, namespaces, tracing, kexec, ...).
 * We state the refusals directly: the same result, and a list a reader can check. Refused
 * calls fail with EPERM, as under Docker; clone3 fails with ENOSYS so libc falls back to
 * clone, whose namespace flags we can inspect (clone3 passes them in memory). */
#include "syscall-filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

static const char *const denied[] = {
	"acct",
	"add_key",
	"bpf",
	"clock_adjtime",
	"clock_settime",
	"create_module",
	"delete_module",
	"finit_module",
	"fsconfig",
	"fsmount",
	"fsopen",
	"fspick",
	"get_kernel_syms",
	"get_mempolicy",
	"init_module",
	"ioperm",
	"iopl",
	"kcmp",
	"kexec_file_load",
	"kexec_load",
	"keyctl",
	"lookup_dcookie",
	"mbind",
	"mount",
	"mount_setattr",
	"move_mount",
	"move_pages",
	"name_to_handle_at",
	"nfsservctl",
	"open_by_handle_at",
	"open_tree",
	"perf_event_open",
	"pivot_root",
	"process_vm_readv",
	"process_vm_writev",
	"ptrace",
	"query_module",
	"quotactl",
	"quotactl_fd",
	"reboot",
	"request_key",
	"set_mempolicy",
	"setns",
	"settimeofday",
	"stime",
	"swapoff",
	"swapon",
	"sysfs",
	"_sysctl",
	"umount",
	"umount2",
	"unshare",
	"uselib",
	"userfaultfd",
	"ustat",
	"vm86",
	"vm86old",
};

/* Compiled once to BPF (libseccomp would compile again at every seccomp_load), then loaded
 * with one prctl: what every container start and every exec pays is that call alone. */
struct syscall_filter {
	struct sock_fprog prog;
};

static int compile(scmp_filter_ctx ctx, struct sock_fprog *ret)
{
	_cleanup_close_ int fd = memfd_create("ctrfs-seccomp", MFD_CLOEXEC);
	struct stat st;
	void *code;

	if (fd < 0)
		return negerrno();
	if (seccomp_export_bpf(ctx, fd) < 0 || fstat(fd, &st) < 0 || st.st_size == 0 ||
	    st.st_size % sizeof(struct sock_filter))
		return -EINVAL;
	code = malloc((size_t) st.st_size);
	if (!code)
		return -ENOMEM;
	if (pread(fd, code, (size_t) st.st_size, 0) != st.st_size) {
		free(code);
		return -EIO;
	}
	ret->filter = code;
	ret->len = (unsigned short) (st.st_size / sizeof(struct sock_filter));
	return 0;
}

int syscall_filter_new(struct syscall_filter **ret)
{
	struct syscall_filter *f = calloc(1, sizeof(*f));
	scmp_filter_ctx ctx;
	int r = 0;

	if (!f)
		return -ENOMEM;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		free(f);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ARRAY_SIZE(denied) && r == 0; i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	/* New namespaces: clone with any CLONE_NEW* flag is refused, plain fork/threads pass. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r == 0)
		r = compile(ctx, &f->prog);
	seccomp_release(ctx);
	if (r < 0) {
		free(f);
		return r;
	}
	*ret = f;
	return 0;
}

int syscall_filter_load(struct syscall_filter *f)
{
	/* no_new_privs is set already (or we have CAP_SYS_ADMIN): a plain filter install. */
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &f->prog) < 0 ? negerrno() : 0;
}

void syscall_filter_free(struct syscall_filter *f)
{
	if (!f)
		return;
	free(f->prog.filter);
	free(f);
}
