#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "volumes.h"

struct mount_step {
	const char *source, *target, *fstype;
	unsigned long flags;
	const char *data;
};

static const struct mount_step mounts[] = {
	{"proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
	{"sysfs", "sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL},
	{"tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"},
	{"devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	 "newinstance,ptmxmode=0666,mode=0620,gid=5"},
	{"shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k"},
	{"mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
};

static const struct {
	const char *name;
	unsigned major, minor;
} devices[] = {
	{"dev/null", 1, 3},   {"dev/zero", 1, 5},    {"dev/full", 1, 7},
	{"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0},
};

static const struct {
	const char *target, *link;
} dev_links[] = {
	{"pts/ptmx", "dev/ptmx"},	   {"/proc/self/fd", "dev/fd"},
	{"/proc/self/fd/0", "dev/stdin"},  {"/proc/self/fd/1", "dev/stdout"},
	{"/proc/self/fd/2", "dev/stderr"},
};

static int make_devices(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		dev_t dev = makedev(devices[i].major, devices[i].minor);

		if (mknod(devices[i].name, S_IFCHR | 0666, dev) < 0)
			return negerrno();
		if (chmod(devices[i].name, 0666) < 0) /* mknod is subject to the umask */
			return negerrno();
	}
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlink(dev_links[i].target, dev_links[i].link) < 0)
			return negerrno();
	return 0;
}

/* Docker's defaults: files that leak host facts are hidden, kernel knobs are read-only. */
static const char *const masked_files[] = {
	"/proc/kcore",	       "/proc/keys",	    "/proc/timer_list",	   "/proc/sched_debug",
	"/proc/latency_stats", "/proc/timer_stats", "/proc/sysrq-trigger",
};
static const char *const masked_dirs[] = {"/proc/scsi", "/proc/acpi", "/sys/firmware"};
static const char *const readonly_paths[] = {"/proc/sys", "/proc/irq", "/proc/bus", "/proc/fs"};

static int rootfs_mask(void)
{
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(masked_files); i++) {
		if (stat(masked_files[i], &st) < 0)
			continue; /* not on this kernel */
		if (mount("/dev/null", masked_files[i], NULL, MS_BIND, NULL) < 0)
			return negerrno();
	}
	for (size_t i = 0; i < ARRAY_SIZE(masked_dirs); i++) {
		if (stat(masked_dirs[i], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (mount("tmpfs", masked_dirs[i], "tmpfs", MS_RDONLY, "size=0") < 0)
			return negerrno();
	}
	for (size_t i = 0; i < ARRAY_SIZE(readonly_paths); i++) {
		if (stat(readonly_paths[i], &st) < 0)
			continue;
		if (mount(readonly_paths[i], readonly_paths[i], NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, readonly_paths[i], NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0)
			return negerrno();
	}
	return 0;
}

int rootfs_enter(const char *rootfs, char *const *volumes, const char **ret_what)
{
	int r;

	*ret_what = "make mounts private";
	/* First of all: nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return negerrno();
	*ret_what = "bind the root filesystem";
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return negerrno();
	r = volumes_mount(rootfs, volumes, ret_what);
	if (r < 0)
		return r;
	*ret_what = "enter the root filesystem";
	if (chdir(rootfs) < 0)
		return negerrno();
	for (size_t i = 0; i < ARRAY_SIZE(mounts); i++) {
		*ret_what = mounts[i].target;
		r = fileio_mkdir_p(mounts[i].target, 0755);
		if (r < 0)
			return r;
		if (mount(mounts[i].source, mounts[i].target, mounts[i].fstype, mounts[i].flags,
			  mounts[i].data) < 0)
			return negerrno();
		if (!strcmp(mounts[i].target, "dev")) {
			*ret_what = "create /dev nodes";
			r = make_devices();
			if (r < 0)
				return r;
		}
	}
	*ret_what = "pivot_root";
	/* pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only
	 * the container's tree (the host root and the ctrfs mount go with it). */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return negerrno();
	if (umount2(".", MNT_DETACH) < 0)
		return negerrno();
	if (chdir("/") < 0)
		return negerrno();
	*ret_what = "mask /proc";
	return rootfs_mask();
}
