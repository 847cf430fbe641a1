#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "fileio.h"
#include "image.h"
#include "overlay.h"
#include "process.h"
#include "veth.h"
#include "etcfiles.h"
#include <net/if.h>
#include "spawn.h"
#include "store.h"
#include "syscall-filter.h"
#include "strutil.h"
#include "resources.h"
#include "runenv.h"

#define REPORT_FD 3
#define CMD_FD 4

int monitor_spawn(const char *self_exe, const struct engine_paths *p, const char *name,
		  int *ret_report_fd, int *ret_cmd_fd)
{
	char *argv[] = {"ctrfs-monitor",
			MONITOR_ARG,
			(char *) p->state_dir,
			(char *) p->data_dir,
			(char *) (name ? name : "-"),
			NULL};
	char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	int fds[2], cmd[2] = {-1, -1}, status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return negerrno();
	if (!name && pipe2(cmd, O_CLOEXEC) < 0) {
		int r = negerrno();
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	pid = fork();
	if (pid < 0) {
		int r = negerrno();
		close(fds[0]);
		close(fds[1]);
		if (!name) {
			close(cmd[0]);
			close(cmd[1]);
		}
		return r;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here: the daemon has threads. */
		sigset_t none;
		int null;

		setsid();
		pid = fork();
		if (pid != 0)
			_exit(pid < 0 ? 1 : 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		null = open("/dev/null", O_RDWR);
		if (null < 0)
			_exit(127);
		/* Move both pipe ends above the targets first, so no dup2 clobbers the other. */
		int rep = fcntl(fds[1], F_DUPFD, 10);
		int in = name ? -1 : fcntl(cmd[0], F_DUPFD, 10);
		if (rep < 0 || (!name && in < 0) || dup2(rep, REPORT_FD) < 0 ||
		    (!name && dup2(in, CMD_FD) < 0))
			_exit(127);
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		syscall(SYS_close_range, name ? REPORT_FD + 1 : CMD_FD + 1, ~0U, 0);
		execve(self_exe, argv, envp);
		_exit(127);
	}
	close(fds[1]);
	if (!name)
		close(cmd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		close(fds[0]);
		if (!name)
			close(cmd[1]);
		return -ECHILD;
	}
	*ret_report_fd = fds[0];
	if (!name)
		*ret_cmd_fd = cmd[1];
	return 0;
}

int monitor_assign(int cmd_fd, const char *name)
{
	char line[80];
	int n = snprintf(line, sizeof(line), "%s\n", name);
	ssize_t w = write(cmd_fd, line, (size_t) n); /* short: a pipe takes 80 bytes at once */
	int r = w == n ? 0 : (w < 0 ? negerrno() : -EIO);

	close(cmd_fd);
	return r;
}

struct monitor {
	struct engine_paths paths;
	struct container_config cfg;
	struct image img;
	char rootfs[PATH_MAX];
	struct cgroup *cgroup;
	struct syscall_filter *filter;
	bool in_cgroup;	     /* a standby: the monitor itself is in the container's cgroup */
	char veth[IFNAMSIZ]; /* the host end of its endpoint */
	bool oom_killed;
	bool mounted;
	char error[512];
};

/* A line to the daemon without closing the pipe. */
static void report_keep(const char *line)
{
	(void) !write(REPORT_FD, line, strlen(line));
}

static void report_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report_line(const char *fmt, ...)
{
	char line[640];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void) !write(REPORT_FD, line,
			      (size_t) n < sizeof(line) ? (size_t) n : sizeof(line));
	close(REPORT_FD);
}

static int open_log(struct monitor *m)
{
	char path[PATH_MAX];
	int fd;

	paths_container_data(&m->paths, m->cfg.name, "container.log", path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	return fd < 0 ? negerrno() : fd;
}

/* The endpoint the daemon planned (endpoint.json): a veth made right inside the init's new
 * network namespace, before the init goes on. */
static int connect_network(struct monitor *m, pid_t init)
{
	struct endpoint ep;
	char host[IFNAMSIZ];
	int fd, r;

	r = store_endpoint_load(&m->paths, m->cfg.name, &ep);
	if (r == -ENOENT)
		return 0; /* none, host, or no network */
	if (r < 0) {
		snprintf(m->error, sizeof(m->error), "Cannot read the endpoint: %s", strerror(-r));
		return r;
	}
	fd = veth_netns_open(init);
	if (fd < 0) {
		snprintf(m->error, sizeof(m->error), "Cannot open the network namespace: %s",
			 strerror(-fd));
		return fd;
	}
	struct veth_config cfg = {.bridge = ep.bridge,
				  .netns_fd = fd,
				  .id = m->cfg.id,
				  .addr = ep.ip,
				  .prefix = ep.prefix,
				  .gateway = ep.gateway};
	r = veth_connect(&cfg, host);
	close(fd);
	if (r < 0) {
		snprintf(m->error, sizeof(m->error), "Cannot connect to network %s: %s", ep.network,
			 strerror(-r));
		return r;
	}
	snprintf(m->veth, sizeof(m->veth), "%s", host);
	return 0;
}

/* hosts, hostname and resolv.conf the daemon prepared, into the root (not for the host's
 * network, where the image's own stay). */
static int install_etc(struct monitor *m)
{
	char dir[PATH_MAX];
	int fd, r;

	if (m->cfg.network && !strcmp(m->cfg.network, "host"))
		return 0;
	fd = open(m->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	paths_container_state(&m->paths, m->cfg.name, NULL, dir, sizeof(dir));
	r = etcfiles_install(fd, dir, NULL);
	close(fd);
	return r;
}

static int mount_rootfs(struct monitor *m)
{
	int r;

	/* A path of its own for each run: the previous run's monitor may still be unmounting
	 * its root (after the exit was reported) and must not touch this one. */
	char leaf[32], id[65];
	if (str_random_id(id) < 0)
		return -EIO;
	snprintf(leaf, sizeof(leaf), "rootfs-%.8s", id);
	paths_container_state(&m->paths, m->cfg.name, leaf, m->rootfs, sizeof(m->rootfs));
	char browse[PATH_MAX];
	paths_container_state(&m->paths, m->cfg.name, "rootfs", browse, sizeof(browse));
	umount2(browse, MNT_DETACH); /* the daemon's, for root/ while it was stopped */
	if (chdir(m->paths.data_dir) < 0)
		return negerrno();
	r = overlay_mount(&m->paths, m->cfg.name, &m->img, m->rootfs, true);
	if (r < 0)
		return r;
	m->mounted = true;
	return chdir("/") < 0 ? negerrno() : 0;
}

static const char *const resource_names[RESOURCE_COUNT] = {
	[RESOURCE_MEMORY] = "memory",
	[RESOURCE_CPUS] = "cpus",
	[RESOURCE_CPU_SHARES] = "cpu-shares",
	[RESOURCE_CPUSET] = "cpuset",
	[RESOURCE_PIDS] = "pids",
};

/* The container's limits, into its fresh cgroup, before its init joins it. */
static int apply_limits(struct monitor *m)
{
	const uint64_t values[RESOURCE_COUNT] = {
		[RESOURCE_MEMORY] = m->cfg.memory,
		[RESOURCE_CPUS] = m->cfg.cpus_milli,
		[RESOURCE_CPU_SHARES] = m->cfg.cpu_shares,
		[RESOURCE_PIDS] = m->cfg.pids,
	};

	for (int k = 0; k < RESOURCE_COUNT; k++) {
		const char *cpuset = k == RESOURCE_CPUSET ? m->cfg.cpuset : NULL;
		int r;

		if (!values[k] && !cpuset)
			continue;
		/* A monitor inside the cgroup is one more process: allow for it. */
		uint64_t v = k == RESOURCE_PIDS && m->in_cgroup ? values[k] + 1 : values[k];
		r = cgroup_set_limit(m->cgroup, (enum resource_kind) k, v, cpuset);
		if (r < 0) {
			snprintf(m->error, sizeof(m->error), "Cannot apply the %s limit: %s%s",
				 resource_names[k], strerror(-r),
				 r == -EOPNOTSUPP ? " (the controller is not delegated to ctrfs)"
						  : "");
			return r;
		}
	}
	return 0;
}

/* After the init exited: kill what is left, note an OOM kill (the rootfs is released by
 * release_rootfs, after the exit is reported). A monitor that lives in the container's cgroup
 * (a standby) cannot remove it: moving out would cost another slow migration, so the daemon
 * removes it once this process has exited. */
static void cleanup(struct monitor *m)
{
	if (m->cgroup) {
		struct cgroup_stats cs;
		if (cgroup_stats(m->cgroup, &cs) == 0 && cs.oom_kills > 0)
			m->oom_killed = true;
		if (m->in_cgroup)
			cgroup_kill_all(m->cgroup);
		else
			cgroup_destroy(m->cgroup);
		cgroup_free(m->cgroup);
		m->cgroup = NULL;
	}
}

/* Unmount and remove this run's root. Its detach waits for an RCU grace period (~5 ms): done
 * after the exit was reported, so nobody waits for it. */
static void release_rootfs(struct monitor *m)
{
	if (m->mounted && umount2(m->rootfs, MNT_DETACH) == 0)
		m->mounted = false;
	if (!m->mounted)
		rmdir(m->rootfs);
}

static int wait_exit(pid_t init)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, __WALL);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			return 255;
		}
		if (pid != init)
			continue; /* an orphan we reaped as subreaper */
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		if (WIFSIGNALED(status))
			return 128 + WTERMSIG(status);
	}
}

static void record_exit(struct monitor *m, struct container_state *st, int code, const char *error)
{
	clock_gettime(CLOCK_REALTIME, &st->finished);
	st->status = STATUS_EXITED;
	st->has_exitcode = true;
	st->exitcode = code;
	st->oom_killed = m->oom_killed;
	if (m->oom_killed && !error)
		error = "Killed by the OOM killer: the memory limit was reached";
	snprintf(st->error, sizeof(st->error), "%s", error ? error : "");
	store_state_save(&m->paths, m->cfg.name, st);
}

/* Prepare everything, start the init, report to the daemon. Returns the init's pid, or a
 * negative errno with m->error set (the report was sent). */
static pid_t start(struct monitor *m, struct container_state *st, char ***argv_env)
{
	struct spawn_child child;
	char desc[512] = "", msg[512], cgname[80];
	char hostname[64];
	enum spawn_result res;
	_cleanup_close_ int log_fd = -EBADF;
	int r, err = 0;

	r = image_load(&m->paths, m->cfg.image, &m->img);
	if (r < 0) {
		snprintf(m->error, sizeof(m->error), "Cannot load image %s: %s", m->cfg.image,
			 strerror(-r));
		return r;
	}
	char **argv = m->cfg.argv ? m->cfg.argv : m->img.cmd;
	if (!argv[0]) {
		snprintf(m->error, sizeof(m->error), "No command: write one to cmd");
		return -EINVAL;
	}
	runenv_hostname(&m->cfg, hostname);
	char **env = NULL;
	r = runenv_build(&m->cfg, &m->img, NULL, &env);
	if (r < 0)
		return r;
	argv_env[0] = env;

	log_fd = open_log(m);
	if (log_fd < 0) {
		snprintf(m->error, sizeof(m->error), "Cannot open the log: %s", strerror(-log_fd));
		return log_fd;
	}
	r = mount_rootfs(m);
	if (r < 0) {
		snprintf(m->error, sizeof(m->error), "Cannot mount the root filesystem: %s",
			 strerror(-r));
		return r;
	}
	r = install_etc(m);
	if (r < 0) {
		snprintf(m->error, sizeof(m->error), "Cannot write /etc/hosts and friends: %s",
			 strerror(-r));
		return r;
	}
	if (!m->cgroup) {
		snprintf(cgname, sizeof(cgname), "ctrfs-%s", m->cfg.id);
		r = cgroup_create(CGROUP_ROOT, cgname, &m->cgroup);
		if (r < 0 && r != -ENOTSUP) {
			snprintf(m->error, sizeof(m->error), "Cannot create the cgroup: %s",
				 strerror(-r));
			return r;
		}
	}
	if (m->cgroup) {
		cgroup_describe(m->cgroup, desc, sizeof(desc));
		r = apply_limits(m);
		if (r < 0)
			return r;
	} else if (m->cfg.memory || m->cfg.cpus_milli || m->cfg.cpu_shares || m->cfg.cpuset ||
		   m->cfg.pids) {
		snprintf(m->error, sizeof(m->error),
			 "Limits are set but ctrfs has no cgroup to enforce them in");
		return -EOPNOTSUPP;
	}
	if (!m->cfg.seccomp_off) {
		r = syscall_filter_new(&m->filter);
		if (r < 0) {
			snprintf(m->error, sizeof(m->error), "Cannot build the seccomp filter: %s",
				 strerror(-r));
			return r;
		}
	}

	struct spawn_spec spec = {
		.rootfs = m->rootfs,
		.argv = argv,
		.env = env,
		.workdir = m->cfg.workdir ? m->cfg.workdir : m->img.workdir,
		.hostname = hostname,
		.log_fd = log_fd,
		.seccomp = m->filter,
		.caps = m->cfg.caps,
		.volumes = m->cfg.volumes,
		.host_network = m->cfg.network && !strcmp(m->cfg.network, "host"),
	};
	r = spawn_container(&spec, &child);
	if (r < 0) {
		snprintf(m->error, sizeof(m->error), "Cannot create the namespaces: %s",
			 strerror(-r));
		return r;
	}
	if (m->cgroup && !m->in_cgroup) {
		r = cgroup_enter(m->cgroup, child.pid);
		if (r < 0) {
			kill(child.pid, SIGKILL);
			close(child.go_fd);
			close(child.report_fd);
			waitpid(child.pid, NULL, 0);
			snprintf(m->error, sizeof(m->error), "Cannot join the cgroup: %s",
				 strerror(-r));
			return r;
		}
	}
	r = connect_network(m, child.pid);
	if (r < 0) {
		kill(child.pid, SIGKILL);
		close(child.go_fd);
		close(child.report_fd);
		waitpid(child.pid, NULL, 0);
		return r;
	}
	spawn_release(&child);
	res = spawn_read_report(&child, msg, sizeof(msg), &err);
	if (res == SPAWN_SETUP_FAILED) {
		waitpid(child.pid, NULL, 0);
		snprintf(m->error, sizeof(m->error), "Cannot start: %s", msg);
		return -err;
	}

	/* The previous run's exit stays readable (exitcode, finished) while this one runs. */
	struct container_state prev = {0};
	store_state_load(&m->paths, m->cfg.name, &prev);
	*st = (struct container_state){.status = STATUS_RUNNING,
				       .pid = child.pid,
				       .has_exitcode = prev.has_exitcode,
				       .exitcode = prev.exitcode,
				       .finished = prev.finished};
	process_start_time(child.pid, &st->pid_start);
	st->monitor_pid = getpid();
	process_start_time(st->monitor_pid, &st->monitor_start);
	clock_gettime(CLOCK_REALTIME, &st->started);
	snprintf(st->cgroup, sizeof(st->cgroup), "%s", desc);
	snprintf(st->veth, sizeof(st->veth), "%s", m->veth);
	snprintf(st->rootfs, sizeof(st->rootfs), "%s", m->rootfs);
	if (res == SPAWN_EXEC_FAILED) {
		/* The run succeeded as far as the daemon is concerned; the container exits 127
		 * at once. Record that before reporting, so the caller sees the final state. */
		int code = wait_exit(child.pid);
		cleanup(m);
		record_exit(m, st, code, msg);
		report_line("ok\n");
		release_rootfs(m);
		return 0;
	}
	r = store_state_save(&m->paths, m->cfg.name, st);
	if (r < 0) {
		kill(child.pid, SIGKILL);
		waitpid(child.pid, NULL, 0);
		snprintf(m->error, sizeof(m->error), "Cannot save the state: %s", strerror(-r));
		return r;
	}
	report_keep("ok\n"); /* the pipe stays open: "exited" follows at the exit */
	return child.pid;
}

/* A standby: cgroup first (the slow move, done before anyone waits), then the name. */
static int standby(struct monitor *m, char *name, size_t size)
{
	char id[65], cgname[80];
	ssize_t n = 0;
	int r;

	if (str_random_id(id) == 0) {
		snprintf(cgname, sizeof(cgname), "ctrfs-%.32s", id);
		r = cgroup_create(CGROUP_ROOT, cgname, &m->cgroup);
		if (r == 0 && cgroup_enter(m->cgroup, getpid()) == 0)
			m->in_cgroup = true;
	}
	for (size_t got = 0; got < size - 1;) {
		n = read(CMD_FD, name + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t) n;
		name[got] = '\0';
		if (strchr(name, '\n'))
			break;
	}
	close(CMD_FD);
	if (!strchr(name, '\n')) {
		/* Never used (the daemon went away): leave nothing behind. */
		if (m->in_cgroup) {
			cgroup_leave(m->cgroup, getpid());
			cgroup_destroy(m->cgroup);
		}
		return -ECANCELED;
	}
	name[strcspn(name, "\n")] = '\0';
	return 0;
}

int monitor_main(int argc, char **argv)
{
	struct monitor m = {0};
	struct container_state st = {0};
	char **env[2] = {NULL, NULL}, name[128] = "";
	_cleanup_close_ int start_lock = -EBADF;
	pid_t init;
	int r;

	if (argc != 5 || strcmp(argv[1], MONITOR_ARG)) {
		fprintf(stderr, "Usage: ctrfs --monitor STATE_DIR DATA_DIR NAME|-\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_NAME, "ctrfs-monitor");
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	umask(022);
	/* The monitor may share the container's memory cgroup: never let it be the OOM victim. */
	fileio_write_full_path("/proc/self/oom_score_adj", "-1000");
	snprintf(m.paths.state_dir, sizeof(m.paths.state_dir), "%s", argv[2]);
	snprintf(m.paths.data_dir, sizeof(m.paths.data_dir), "%s", argv[3]);
	if (!strcmp(argv[4], "-")) {
		if (standby(&m, name, sizeof(name)) < 0)
			return 0;
	} else {
		snprintf(name, sizeof(name), "%s", argv[4]);
	}

	start_lock = store_start_lock(&m.paths, name);
	if (start_lock < 0) {
		report_line("err %d Cannot lock the state of %s: %s\n", -start_lock, name,
			    strerror(-start_lock));
		return 1;
	}
	r = store_config_load(&m.paths, name, &m.cfg);
	if (r < 0) {
		if (m.in_cgroup && m.cgroup && cgroup_leave(m.cgroup, getpid()) == 0)
			m.in_cgroup = false;
		cleanup(&m);
		report_line("err %d Cannot load the configuration of %s: %s\n", -r, name,
			    strerror(-r));
		return 1;
	}
	init = start(&m, &st, env);
	if (init < 0) {
		/* It never ran: nothing of it may stay, the cgroup included (even if we sit in it,
		 * this once paying the move out: a failed start is not the fast path). */
		if (m.in_cgroup && m.cgroup && cgroup_leave(m.cgroup, getpid()) == 0)
			m.in_cgroup = false;
		cleanup(&m);
		release_rootfs(&m);
		report_line("err %d %s\n", -init, m.error[0] ? m.error : strerror(-init));
		return 1;
	}
	closep(&start_lock); /* the run's state is saved: a restarted daemon may read it now */
	if (init > 0) {
		int code = wait_exit(init);
		cleanup(&m);
		record_exit(&m, &st, code, NULL);
		report_line("exited\n"); /* `wait` returns now; the unmount comes after */
		release_rootfs(&m);
	}
	return 0;
}
