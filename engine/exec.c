#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "cleanup.h"
#include "fileio.h"
#include "image.h"
#include "process.h"
#include "runenv.h"
#include "store.h"
#include "syscall-filter.h"

#define REPORT_FD 3
#define SOCK_FD 4
#define CTL_FD 5
#define REQUEST_MAX (256 * 1024)
#define JOIN_FLAGS                                                                                 \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP)

static json_object *strv_json(char *const *v)
{
	json_object *a = json_object_new_array();

	for (; a && v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

int exec_spawn(const char *self_exe, const struct engine_paths *p, const char *name,
	       struct exec_child *ret)
{
	char *argv[] = {"ctrfs-exec",	      EXEC_ARG,	     (char *) p->state_dir,
			(char *) p->data_dir, (char *) name, NULL};
	char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	int rep[2], sock[2], pidfd;
	pid_t pid;

	if (pipe2(rep, O_CLOEXEC) < 0)
		return negerrno();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0) {
		int r = negerrno();
		close(rep[0]);
		close(rep[1]);
		return r;
	}
	pid = fork();
	if (pid < 0) {
		int r = negerrno();
		close(rep[0]);
		close(rep[1]);
		close(sock[0]);
		close(sock[1]);
		return r;
	}
	if (pid == 0) {
		/* Async-signal-safe only: the daemon has threads. The spawner leaves when the
		 * daemon does: its socket then reads end-of-file. */
		sigset_t none;
		int wfd = fcntl(rep[1], F_DUPFD, 10);
		int sfd = fcntl(sock[1], F_DUPFD, 10);
		int null = open("/dev/null", O_RDWR);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (wfd < 0 || sfd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0 || dup2(wfd, REPORT_FD) < 0 || dup2(sfd, SOCK_FD) < 0)
			_exit(127);
		syscall(SYS_close_range, SOCK_FD + 1, ~0U, 0);
		execve(self_exe, argv, envp);
		_exit(127);
	}
	close(rep[1]);
	close(sock[1]);
	pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		int r = negerrno();
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(rep[0]);
		close(sock[0]);
		return r;
	}
	*ret = (struct exec_child){
		.pid = pid, .pidfd = pidfd, .report_fd = rep[0], .sock = sock[0]};
	return 0;
}

int exec_assign(struct exec_child *spawner, char *const *argv, char *const *env, unsigned rows,
		unsigned cols, int stdin_fd, int out_fd, int ctl_fd, struct exec_child *ret)
{
	json_object *o = json_object_new_object();
	int rep[2], fds[4];
	char cbuf[CMSG_SPACE(sizeof(fds))] = {0}, reply[32];
	struct iovec iov;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	const char *text;
	ssize_t n;
	pid_t pid;
	int r = 0;

	if (!o)
		return -ENOMEM;
	if (pipe2(rep, O_CLOEXEC) < 0) {
		json_object_put(o);
		return negerrno();
	}
	fds[0] = stdin_fd;
	fds[1] = out_fd;
	fds[2] = ctl_fd;
	fds[3] = rep[1];
	json_object_object_add(o, "argv", strv_json(argv));
	json_object_object_add(o, "env", strv_json(env));
	json_object_object_add(o, "rows", json_object_new_int((int) rows));
	json_object_object_add(o, "cols", json_object_new_int((int) cols));
	text = json_object_to_json_string(o);
	iov = (struct iovec){.iov_base = (void *) text, .iov_len = strlen(text)};
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	if (iov.iov_len > REQUEST_MAX)
		r = -E2BIG;
	else if (sendmsg(spawner->sock, &msg, MSG_NOSIGNAL) < 0)
		r = negerrno();
	json_object_put(o);
	close(rep[1]);
	/* The spawner answers at once with the pid of the session's helper, our child. */
	if (r == 0) {
		do
			n = recv(spawner->sock, reply, sizeof(reply) - 1, 0);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			r = n < 0 ? negerrno() : -EPIPE;
		else if ((reply[n] = '\0', pid = (pid_t) strtol(reply, NULL, 10)) <= 0)
			r = -EIO;
	}
	if (r == 0) {
		int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0)
			r = negerrno();
		else
			*ret = (struct exec_child){
				.pid = pid, .pidfd = pidfd, .report_fd = rep[0], .sock = -EBADF};
	}
	if (r < 0)
		close(rep[0]);
	return r;
}

static void report(const char *kind, const char *msg)
{
	dprintf(REPORT_FD, "%s %s\n", kind, msg);
	close(REPORT_FD);
}

/* A request (argv, env, terminal) and its fds (stdin, output, control, report), from the
 * daemon over SOCK_FD; end-of-file when the daemon closes it. */
static int recv_request(char ***ret_argv, char ***ret_env, struct winsize *ret_ws, int fds[4])
{
	static char text[REQUEST_MAX + 1];
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = {.iov_base = text, .iov_len = REQUEST_MAX};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	const char *keys[2] = {"argv", "env"};
	char **v[2] = {NULL, NULL};
	struct cmsghdr *cm;
	json_object *o, *a;
	ssize_t n;

	do
		n = recvmsg(SOCK_FD, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? negerrno() : -ECANCELED; /* the daemon let us go unused */
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(4 * sizeof(int)))
		return -EINVAL;
	memcpy(fds, CMSG_DATA(cm), 4 * sizeof(int));
	text[n] = '\0';
	o = json_tokener_parse(text);
	if (!o)
		return -EINVAL;
	for (int k = 0; k < 2; k++) {
		size_t len =
			json_object_object_get_ex(o, keys[k], &a) ? json_object_array_length(a) : 0;
		v[k] = calloc(len + 1, sizeof(char *));
		for (size_t i = 0; v[k] && i < len; i++)
			v[k][i] = strdup(json_object_get_string(json_object_array_get_idx(a, i)));
	}
	*ret_ws = (struct winsize){0};
	if (json_object_object_get_ex(o, "rows", &a))
		ret_ws->ws_row = (unsigned short) json_object_get_int(a);
	if (json_object_object_get_ex(o, "cols", &a))
		ret_ws->ws_col = (unsigned short) json_object_get_int(a);
	json_object_put(o);
	if (!v[0] || !v[1] || !v[0][0]) {
		runenv_free(v[0]);
		runenv_free(v[1]);
		return -EINVAL;
	}
	*ret_argv = v[0];
	*ret_env = v[1];
	return 0;
}

/* In the forked child, inside every namespace: become the container's kind of process. */
static __attribute__((noreturn)) void run_command(const struct container_config *cfg,
						  const char *workdir, char **argv, char **env,
						  struct syscall_filter *filter, int err_fd,
						  int tty)
{
	int r = 0;

	/* On a terminal: a session of its own with the pty as its controlling terminal. */
	if (tty >= 0 && (setsid() < 0 || ioctl(tty, TIOCSCTTY, 0) < 0 || dup2(tty, 0) < 0 ||
			 dup2(tty, 1) < 0 || dup2(tty, 2) < 0))
		r = negerrno();

	if (chdir(workdir) < 0 && chdir("/") < 0)
		r = negerrno();
	if (r == 0)
		r = caps_apply(cfg->caps);
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = negerrno();
	if (r == 0 && filter)
		r = syscall_filter_load(filter);
	if (r < 0) {
		dprintf(err_fd, "fail cannot set up the process: %s", strerror(-r));
		_exit(126);
	}
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	clearenv();
	for (char **e = env; *e; e++)
		putenv(*e);
	execvp(argv[0], argv);
	r = errno;
	dprintf(STDERR_FILENO, "ctrfs: exec \"%s\": %s\n", argv[0], strerror(r));
	dprintf(err_fd, "fail exec \"%s\": %s", argv[0], strerror(r));
	_exit(r == ENOENT ? 127 : 126);
}

/* Copy between the pty and our stdin (the session's stdin pipe) / stdout (its output file),
 * and apply "winsize ROWS COLS" lines from the control pipe, until the command is gone. */
static void relay_tty(int master, pid_t child)
{
	int pidfd = (int) syscall(SYS_pidfd_open, child, 0);
	bool in_open = true, ctl_open = true;
	char buf[16384];

	for (;;) {
		struct pollfd pfd[4] = {
			{.fd = master, .events = POLLIN},
			{.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
			{.fd = ctl_open ? CTL_FD : -1, .events = POLLIN},
			{.fd = pidfd, .events = POLLIN},
		};
		if (poll(pfd, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(master, buf, sizeof(buf));
			if (n <= 0)
				break; /* EIO: every slave fd is closed, the command is gone */
			fileio_write_full(STDOUT_FILENO, buf, (size_t) n);
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0)
				in_open = false;
			else
				fileio_write_full(master, buf, (size_t) n);
		}
		if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(CTL_FD, buf, sizeof(buf) - 1);
			struct winsize ws = {0};
			if (n <= 0) {
				ctl_open = false;
			} else {
				buf[n] = '\0';
				if (sscanf(buf, "winsize %hu %hu", &ws.ws_row, &ws.ws_col) == 2)
					ioctl(master, TIOCSWINSZ, &ws);
			}
		}
		if ((pfd[3].revents & POLLIN) && !(pfd[0].revents & POLLIN))
			break; /* exited, and nothing left to copy */
	}
	if (pidfd >= 0)
		close(pidfd);
}

/* One session, in a child the spawner cloned with CLONE_PARENT (so the daemon is its parent
 * and reaps it), born inside the container's PID namespace: it becomes the command, or, on a
 * terminal, runs it and relays the terminal, exiting with the command's exit code. */
static __attribute__((noreturn)) void session(const struct container_config *cfg,
					      const struct image *img,
					      struct syscall_filter *filter, char **cmd,
					      char **extra, struct winsize ws, int fds[4])
{
	int master = -EBADF, slave = -EBADF, err[2], status;
	char **env = NULL, msg[600];
	pid_t pid;

	/* Out of the way of the numbers we dup onto first: a received fd may be one of them. */
	for (int i = 0; i < 4; i++)
		if ((fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) < 0)
			_exit(126);
	if (dup2(fds[3], REPORT_FD) < 0 || dup2(fds[0], 0) < 0 || dup2(fds[1], 1) < 0 ||
	    dup2(fds[1], 2) < 0 || dup2(fds[2], CTL_FD) < 0)
		_exit(126);
	close(SOCK_FD);
	if (runenv_build(cfg, img, extra, &env) < 0) {
		report("fail", "out of memory");
		_exit(126);
	}
	if (!ws.ws_row) {
		/* No terminal to relay: we are in the PID namespace already (our parent joined
		 * it for its children), so we become the command. The report pipe is close-on-exec:
		 * the daemon reads its end-of-file as "it runs", or a "fail" line. */
		fcntl(REPORT_FD, F_SETFD, FD_CLOEXEC);
		run_command(cfg, cfg->workdir ? cfg->workdir : img->workdir, cmd, env, filter,
			    REPORT_FD, -EBADF);
	}
	{
		/* The container's own devpts: /dev/ptmx resolves in its mount namespace. */
		master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
		int unlock = 0;
		if (master >= 0 && ioctl(master, TIOCSPTLCK, &unlock) == 0)
			slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (slave < 0) {
			snprintf(msg, sizeof(msg), "cannot make a terminal: %s", strerror(errno));
			report("fail", msg);
			_exit(126);
		}
		ioctl(master, TIOCSWINSZ, &ws);
	}
	if (pipe2(err, O_CLOEXEC) < 0) {
		report("fail", "cannot make a pipe");
		_exit(126);
	}
	pid = fork(); /* the command; we stay to relay its terminal */
	if (pid < 0) {
		snprintf(msg, sizeof(msg), "cannot fork: %s", strerror(errno));
		report("fail", msg);
		_exit(126);
	}
	if (pid == 0) {
		close(err[0]);
		run_command(cfg, cfg->workdir ? cfg->workdir : img->workdir, cmd, env, filter,
			    err[1], slave);
	}
	close(err[1]);
	closep(&slave);
	ssize_t n = read(err[0], msg, sizeof(msg) - 1);
	close(err[0]);
	if (n > 0) {
		msg[n] = '\0';
		dprintf(REPORT_FD, "%s\n", msg);
		close(REPORT_FD);
	} else {
		report("ok", "");
	}
	if (master >= 0)
		relay_tty(master, pid);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(255);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int exec_main(int argc, char **argv)
{
	struct engine_paths p = {0};
	struct container_config cfg = {0};
	struct container_state st;
	struct image img = {0};
	struct syscall_filter *filter = NULL;
	char msg[600];
	int pidfd, r;

	if (argc != 5 || strcmp(argv[1], EXEC_ARG)) {
		fprintf(stderr, "Usage: ctrfs --exec STATE_DIR DATA_DIR NAME\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "ctrfs-exec");
	snprintf(p.state_dir, sizeof(p.state_dir), "%s", argv[2]);
	snprintf(p.data_dir, sizeof(p.data_dir), "%s", argv[3]);

	/* Once, ahead of any request: everything about the container. */
	r = store_config_load(&p, argv[4], &cfg);
	if (r == 0)
		r = store_state_load(&p, argv[4], &st);
	if (r == 0)
		r = image_load(&p, cfg.image, &img);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "cannot load the container: %s", strerror(-r));
		report("fail", msg);
		return 126;
	}
	pidfd = st.status == STATUS_RUNNING ? process_pidfd_checked(st.pid, st.pid_start) : -ESRCH;
	if (pidfd < 0) {
		report("fail", "the container is not running");
		return 126;
	}
	if (st.cgroup[0]) {
		struct cgroup *cg;
		if (cgroup_open(st.cgroup, &cg) == 0) {
			r = cgroup_enter(cg, getpid());
			cgroup_free(cg);
		}
		if (r < 0) {
			snprintf(msg, sizeof(msg), "cannot join the container's cgroup: %s",
				 strerror(-r));
			report("fail", msg);
			return 126;
		}
	}
	if (!cfg.seccomp_off && syscall_filter_new(&filter) < 0) {
		report("fail", "cannot build the seccomp filter");
		return 126;
	}
	if (setns(pidfd, JOIN_FLAGS) < 0) {
		snprintf(msg, sizeof(msg), "cannot join the container's namespaces: %s",
			 strerror(errno));
		report("fail", msg);
		return 126;
	}
	report("ready", "");
	/* Then serve requests until the daemon closes the socket. Each session is a child
	 * cloned with CLONE_PARENT: born in our cgroup and namespaces at no cost, and the
	 * daemon's child, so the daemon reaps it and gets the command's exit code. */
	for (;;) {
		char **cmd = NULL, **extra = NULL, reply[32];
		struct winsize ws;
		int fds[4];
		pid_t pid;

		r = recv_request(&cmd, &extra, &ws, fds);
		if (r == -ECANCELED)
			return 0;
		if (r < 0) {
			(void) !write(SOCK_FD, "0", 1);
			continue;
		}
		pid = (pid_t) syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
		if (pid == 0)
			session(&cfg, &img, filter, cmd, extra, ws, fds);
		snprintf(reply, sizeof(reply), "%d", pid < 0 ? 0 : (int) pid);
		(void) !write(SOCK_FD, reply, strlen(reply));
		for (int i = 0; i < 4; i++)
			close(fds[i]);
		runenv_free(cmd);
		runenv_free(extra);
	}
}
