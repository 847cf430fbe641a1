/* ctrfs: the daemon. Parses options, prepares the engine, mounts the filesystem, daemonizes
 * once the mount is ready, and serves until SIGTERM/SIGINT (containers keep running). The same
 * binary is the per-container monitor when called with --monitor. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "fileio.h"
#include "exec.h"
#include "fs.h"
#include "log.h"
#include "monitor.h"
#include "network.h"

struct options {
	const char *mountpoint;
	const char *state_dir;
	const char *data_dir;
	const char *busybox;
	const char *network;
	bool foreground;
	bool debug;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ctrfs [OPTIONS] [MOUNTPOINT]\n"
		"A container engine whose interface is a filesystem (default MOUNTPOINT "
		"/mnt/ctr).\n"
		"\n"
		"  -f, --foreground     stay in the foreground, log to stderr\n"
		"  -d, --debug          log debug messages (and FUSE requests)\n"
		"      --state-dir DIR  live state (default /run/ctrfs)\n"
		"      --data-dir DIR   images, layers, containers, logs (default /var/lib/ctrfs)\n"
		"      --busybox PATH   static busybox for the default image (default "
		"/bin/busybox)\n"
		"      --default-network NAME  what containers join unless told: `default` (a "
		"bridge\n"
		"                       made on first use; the default), `none` (loopback only) "
		"or\n"
		"                       a network's name\n"
		"  -h, --help           this help\n"
		"  -V, --version        the version\n"
		"\n"
		"Without -f, ctrfs returns once the mount is ready and logs to "
		"STATE_DIR/ctrfs.log.\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_STATE = 256, OPT_DATA, OPT_BUSYBOX, OPT_NETWORK };
	static const struct option longopts[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"debug", no_argument, NULL, 'd'},
		{"state-dir", required_argument, NULL, OPT_STATE},
		{"data-dir", required_argument, NULL, OPT_DATA},
		{"busybox", required_argument, NULL, OPT_BUSYBOX},
		{"default-network", required_argument, NULL, OPT_NETWORK},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	int c;

	*o = (struct options){.mountpoint = "/mnt/ctr",
			      .state_dir = "/run/ctrfs",
			      .data_dir = "/var/lib/ctrfs",
			      .busybox = "/bin/busybox"};
	while ((c = getopt_long(argc, argv, "fdhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->foreground = true;
			break;
		case 'd':
			o->debug = true;
			break;
		case OPT_STATE:
			o->state_dir = optarg;
			break;
		case OPT_DATA:
			o->data_dir = optarg;
			break;
		case OPT_BUSYBOX:
			o->busybox = optarg;
			break;
		case OPT_NETWORK:
			if (network_check_name(optarg) < 0 || !strcmp(optarg, "host")) {
				fprintf(stderr, "ctrfs: bad --default-network %s\n", optarg);
				return -EINVAL;
			}
			o->network = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("ctrfs %s\n", CTRFS_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc)
		o->mountpoint = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* The daemon of a previous run died (maybe kill -9): its mount answers ENOTCONN until it is
 * unmounted. Clean it so we can mount again. */
static int prepare_mountpoint(const char *mp)
{
	struct stat st;
	int r;

	if (stat(mp, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (errno == ENOTCONN || errno == ECONNABORTED) {
		log_info("Cleaning the stale mount at %s", mp);
		if (umount2(mp, MNT_DETACH) < 0)
			return negerrno();
		return 0;
	}
	if (errno != ENOENT)
		return negerrno();
	r = fileio_mkdir_p(mp, 0755);
	return r;
}

/* Absolute versions of relative paths: the daemon chdirs to / when it detaches. */
static const char *absolute(const char *path, char *buf)
{
	if (path[0] == '/')
		return path;
	if (!realpath(path, buf)) {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			return path;
		snprintf(buf, PATH_MAX, "%s/%s", cwd, path);
	}
	return buf;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], state_abs[PATH_MAX], data_abs[PATH_MAX], mp_abs[PATH_MAX];
	char err[512], logpath[PATH_MAX + 16];
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *loop;
	struct engine_options eo;
	struct engine *engine = NULL;
	struct fuse_session *se;
	struct options o;
	struct fs *fs;
	ssize_t n;
	int r;

	if (argc >= 2 && !strcmp(argv[1], MONITOR_ARG))
		return monitor_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], EXEC_ARG))
		return exec_main(argc, argv);
	if (parse_options(argc, argv, &o) < 0)
		return 2;
	log_debug_enabled = o.debug;
	umask(022);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		log_error("Cannot find my own executable: %s", strerror(errno));
		return 1;
	}
	self[n] = '\0';
	fileio_mkdir_p(o.state_dir, 0755);
	fileio_mkdir_p(o.data_dir, 0755);
	eo = (struct engine_options){.state_dir = absolute(o.state_dir, state_abs),
				     .data_dir = absolute(o.data_dir, data_abs),
				     .self_exe = self,
				     .busybox = o.busybox,
				     .default_network = o.network};
	o.mountpoint = absolute(o.mountpoint, mp_abs);
	r = engine_new(&eo, &engine, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		return 1;
	}
	r = prepare_mountpoint(o.mountpoint);
	if (r < 0) {
		log_error("Cannot use mount point %s: %s", o.mountpoint, strerror(-r));
		goto out_engine;
	}
	fs = fs_new(engine);
	if (!fs || fuse_opt_add_arg(&args, argv[0]) < 0 || fuse_opt_add_arg(&args, "-o") < 0 ||
	    fuse_opt_add_arg(&args, "allow_other,default_permissions,fsname=ctrfs,subtype=ctrfs") <
		    0 ||
	    (o.debug && fuse_opt_add_arg(&args, "-d") < 0)) {
		log_error("Out of memory");
		r = -ENOMEM;
		goto out_engine;
	}
	se = fuse_session_new(&args, &fs_ops, sizeof(fs_ops), fs);
	if (!se) {
		r = -EINVAL;
		goto out_fs;
	}
	fs_set_session(fs, se);
	fs_set_mountpoint(fs, o.mountpoint);
	if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, o.mountpoint) != 0) {
		log_error("Cannot mount at %s", o.mountpoint);
		r = -EIO;
		goto out_session;
	}
	log_info("ctrfs %s mounted at %s (state %s, data %s)", CTRFS_VERSION, o.mountpoint,
		 eo.state_dir, eo.data_dir);
	/* The mount is ready: the parent returns now, the child serves. */
	if (fuse_daemonize(o.foreground) != 0) {
		r = -EIO;
		goto out_unmount;
	}
	if (!o.foreground) {
		snprintf(logpath, sizeof(logpath), "%s/ctrfs.log", eo.state_dir);
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
	}
	r = engine_start(engine);
	if (r < 0) {
		log_error("Cannot start the event thread: %s", strerror(-r));
		goto out_unmount;
	}
	loop = fuse_loop_cfg_create();
	fuse_loop_cfg_set_clone_fd(loop, 0);
	fuse_loop_cfg_set_max_threads(loop, 16);
	fuse_loop_cfg_set_idle_threads(loop, 4);
	r = fuse_session_loop_mt(se, loop);
	fuse_loop_cfg_destroy(loop);
	log_info("Unmounting %s; containers keep running", o.mountpoint);
out_unmount:
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_fs:
	fuse_opt_free_args(&args);
	fs_free(fs);
out_engine:
	engine_free(engine);
	return r < 0 ? 1 : 0;
}
