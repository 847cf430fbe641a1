/* exec sessions of a container: create, start, feed stdin, follow output, reap. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cmdline.h"
#include "engine-internal.h"
#include "exec.h"
#include "fileio.h"
#include "names.h"
#include "process.h"
#include <signal.h>

#define STDIN_PIPE_SIZE (1024 * 1024)

static struct exec_session *find(const struct container *c, unsigned id)
{
	for (struct exec_session *s = c->sessions; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static void output_path(struct engine *e, const struct container *c, unsigned id, char *buf,
			size_t size)
{
	char leaf[32];

	snprintf(leaf, sizeof(leaf), "exec-%u.out", id);
	paths_container_state(&e->paths, c->cfg.name, leaf, buf, size);
}

static void session_free(struct engine *e, struct container *c, struct exec_session *s)
{
	char path[PATH_MAX];

	if (s->out_wd >= 0)
		inotify_rm_watch(e->inotify_fd, s->out_wd);
	if (s->pidfd >= 0) {
		engine_unwatch(e, s->pidfd);
		close(s->pidfd);
	}
	if (s->report_fd >= 0) {
		engine_unwatch(e, s->report_fd);
		close(s->report_fd);
	}
	closep(&s->stdin_write);
	closep(&s->stdin_read);
	closep(&s->ctl_write);
	output_path(e, c, s->id, path, sizeof(path));
	unlink(path);
	if (s->env)
		for (char **v = s->env; *v; v++)
			free(*v);
	free(s->env);
	free(s);
}

int container_exec_new(struct engine *e, struct container *c, unsigned *ret_id)
{
	struct exec_session *s, **pp, *oldest = NULL;
	size_t n = 0;

	if (c->starting || c->st.status != STATUS_RUNNING) {
		container_set_error(c, "Container %s is not running", c->cfg.name);
		return -EBUSY;
	}
	if (c->paused) {
		container_set_error(c, "Container %s is paused: resume it first", c->cfg.name);
		return -EBUSY;
	}
	for (s = c->sessions; s; s = s->next) {
		n++;
		if (s->state == EXEC_EXITED)
			oldest = s; /* the list is newest first */
	}
	if (n >= EXEC_MAX_SESSIONS) {
		if (!oldest) {
			container_set_error(c, "Too many exec sessions running (at most %d)",
					    EXEC_MAX_SESSIONS);
			return -EAGAIN;
		}
		for (pp = &c->sessions; *pp != oldest; pp = &(*pp)->next)
			;
		*pp = oldest->next;
		session_free(e, c, oldest);
	}
	if (c->next_session >= EV_SESSION_MASK) {
		container_set_error(c, "No exec session numbers left for %s", c->cfg.name);
		return -ENOSPC;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->id = ++c->next_session;
	s->stdin_write = s->stdin_read = s->pidfd = s->report_fd = s->ctl_write = -EBADF;
	s->out_wd = -1;
	s->env = calloc(1, sizeof(char *));
	if (!s->env) {
		free(s);
		return -ENOMEM;
	}
	s->next = c->sessions;
	c->sessions = s;
	*ret_id = s->id;
	return 0;
}

bool container_exec_exists(const struct container *c, unsigned id)
{
	return find(c, id) != NULL;
}

size_t container_exec_list(const struct container *c, unsigned *ids, size_t max)
{
	size_t n = 0;

	for (struct exec_session *s = c->sessions; s && n < max; s = s->next)
		ids[n++] = s->id;
	return n;
}

int container_exec_set_env(struct engine *e, struct container *c, unsigned id, const char *text,
			   size_t len)
{
	struct exec_session *s = find(c, id);
	_cleanup_free_ char *copy = NULL;
	char **v, *save = NULL;
	size_t n = 0;

	(void) e;
	if (!s)
		return -ENOENT;
	if (s->state != EXEC_NEW) {
		container_set_error(c, "Exec session %u has started already", id);
		return -EBUSY;
	}
	copy = strndup(text, len);
	if (!copy || !(v = calloc(len / 2 + 2, sizeof(char *))))
		return -ENOMEM;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');
		if (!eq || !env_key_is_valid(l, (size_t) (eq - l)) || !(v[n] = strdup(l))) {
			container_set_error(c, "Bad env line \"%.64s\": expected KEY=VALUE", l);
			for (size_t i = 0; i < n; i++)
				free(v[i]);
			free(v);
			return -EINVAL;
		}
		n++;
	}
	for (char **o = s->env; *o; o++)
		free(*o);
	free(s->env);
	s->env = v;
	return 0;
}

int container_exec_get_env(const struct container *c, unsigned id, struct strbuf *out)
{
	struct exec_session *s = find(c, id);
	int r = 0;

	if (!s)
		return -ENOENT;
	for (char **v = s->env; *v && r == 0; v++)
		r = strbuf_addf(out, "%s\n", *v);
	return r;
}

int container_exec_stdin_ref(struct container *c, unsigned id, int delta)
{
	struct exec_session *s = find(c, id);
	int fds[2];

	if (!s)
		return -ENOENT;
	if (delta > 0) {
		if (s->stdin_opens == 0 && s->stdin_write < 0 && s->state == EXEC_NEW) {
			if (pipe2(fds, O_CLOEXEC) < 0)
				return negerrno();
			fcntl(fds[1], F_SETPIPE_SZ, STDIN_PIPE_SIZE);
			fcntl(fds[1], F_SETFL, O_NONBLOCK);
			s->stdin_read = fds[0];
			s->stdin_write = fds[1];
		}
		s->stdin_opens++;
	} else if (s->stdin_opens > 0 && --s->stdin_opens == 0) {
		closep(&s->stdin_write); /* the command reads end-of-file */
		s->stdin_write = -EBADF;
	}
	return 0;
}

ssize_t container_exec_write_stdin(struct container *c, unsigned id, const char *buf, size_t len)
{
	struct exec_session *s = find(c, id);
	ssize_t n;

	if (!s)
		return -ENOENT;
	if (s->stdin_write < 0) {
		container_set_error(c, "The stdin of exec session %u is closed", id);
		return -EPIPE;
	}
	n = write(s->stdin_write, buf, len);
	if (n < 0 && errno == EAGAIN)
		container_set_error(c,
				    "The command of exec session %u does not read its stdin "
				    "(1 MiB waits)",
				    id);
	return n < 0 ? negerrno() : n;
}

/* Stop a helper of ours and reap it: no zombie, nothing left in the cgroup. */
static void kill_helper(struct exec_child *h)
{
	siginfo_t info;

	if (h->pidfd >= 0) {
		process_signal(h->pidfd, SIGKILL);
		waitid(P_PIDFD, (id_t) h->pidfd, &info, WEXITED);
		close(h->pidfd);
		h->pidfd = -EBADF;
	}
	closep(&h->report_fd);
	closep(&h->sock);
}

/* The container's exec spawner, started if it has none. */
static int spawner_get(struct engine *e, struct container *c, struct exec_child **ret)
{
	struct exec_child *h;
	int r;

	if (!c->exec_ready) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return -ENOMEM;
		r = exec_spawn(e->self_exe, &e->paths, c->cfg.name, h);
		if (r < 0) {
			free(h);
			return r;
		}
		c->exec_ready = h;
		/* If it dies (its container went, or it could not join), we reap it. */
		engine_watch_session(e, h->pidfd, c, 0, EV_EXEC_EXIT, EPOLLIN);
	}
	*ret = c->exec_ready;
	return 0;
}

int container_exec_start(struct engine *e, struct container *c, unsigned id, const char *line,
			 size_t len, container_done_fn done, void *data)
{
	struct exec_session *s = find(c, id);
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int out = -EBADF, null = -EBADF;
	char path[PATH_MAX];
	struct exec_child child = {.pidfd = -EBADF, .report_fd = -EBADF, .sock = -EBADF};
	char **argv = NULL;
	int argc, r;

	if (!s)
		return -ENOENT;
	if (s->state != EXEC_NEW) {
		container_set_error(c, "Exec session %u has run a command already", id);
		return -EBUSY;
	}
	if (c->st.status != STATUS_RUNNING || c->starting || c->paused) {
		container_set_error(c, "Container %s is %s", c->cfg.name,
				    c->paused ? "paused" : "not running");
		return -EBUSY;
	}
	text = strndup(line, len);
	if (!text)
		return -ENOMEM;
	str_chomp(text, &len);
	r = cmdline_parse(text, &argv, &argc);
	if (r < 0 || argc == 0) {
		cmdline_free(argv);
		container_set_error(c, argc == 0 && r == 0
					       ? "Empty command"
					       : "Bad command line: unterminated quote");
		return -EINVAL;
	}
	output_path(e, c, id, path, sizeof(path));
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (out < 0 || null < 0) {
		cmdline_free(argv);
		return negerrno();
	}
	/* The container's spawner, already in its cgroup and namespaces, clones the helper. */
	struct exec_child *spawner;
	int ctl[2] = {-1, -1};
	r = spawner_get(e, c, &spawner);
	if (r == 0 && pipe2(ctl, O_CLOEXEC) < 0)
		r = negerrno();
	if (r == 0)
		r = exec_assign(spawner, argv, s->env, s->rows, s->cols,
				s->stdin_read >= 0 ? s->stdin_read : null, out, ctl[0], &child);
	cmdline_free(argv);
	closep(&ctl[0]);
	if (r < 0) {
		closep(&ctl[1]);
		container_set_error(c, "Cannot start the command: %s", strerror(-r));
		if (r == -EPIPE || r == -ECONNRESET)
			container_exec_standby_stop(e,
						    c); /* it died: the next exec makes another */
		return r;
	}
	s->ctl_write = ctl[1];
	closep(&s->stdin_read);
	s->stdin_read = -EBADF;
	s->pid = child.pid;
	s->pidfd = child.pidfd;
	s->report_fd = child.report_fd;
	s->state = EXEC_RUNNING;
	s->out_wd = inotify_add_watch(e->inotify_fd, path, IN_MODIFY);
	engine_watch_session(e, s->pidfd, c, id, EV_EXEC_EXIT, EPOLLIN);
	engine_watch_session(e, s->report_fd, c, id, EV_EXEC_REPORT, EPOLLIN);
	s->start_done = done;
	s->start_data = data;
	return CONTAINER_PENDING;
}

/* The helper said how the start went (or died saying nothing): the cmd write may return. */
static void start_settled(struct exec_session *s)
{
	container_done_fn done = s->start_done;

	s->start_done = NULL;
	if (done)
		done(s->start_data, 0);
}

void container_exec_cancel(struct container *c, void *data)
{
	for (struct exec_session *s = c->sessions; s; s = s->next)
		if (s->start_data == data)
			s->start_done = NULL;
}

/* The spawner is made a moment after the container starts, not at once: a container that
 * exits at once (a build step, /bin/true) then never pays for one, and a container that runs
 * has it ready before anyone execs. */
#define EXEC_PREPARE_DELAY_MS 150

void container_exec_standby(struct engine *e, struct container *c)
{
	struct itimerspec its = {.it_value.tv_nsec = EXEC_PREPARE_DELAY_MS * 1000000L};

	if (c->st.status != STATUS_RUNNING || c->exec_ready || c->prep_timerfd >= 0)
		return;
	c->prep_timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (c->prep_timerfd < 0)
		return;
	if (timerfd_settime(c->prep_timerfd, 0, &its, NULL) < 0 ||
	    engine_watch(e, c->prep_timerfd, c, EV_EXEC_PREPARE) < 0)
		closep(&c->prep_timerfd);
}

void container_exec_prepare_due(struct engine *e, struct container *c)
{
	struct exec_child *unused;

	engine_unwatch(e, c->prep_timerfd);
	closep(&c->prep_timerfd);
	if (c->st.status == STATUS_RUNNING && !c->paused)
		spawner_get(e, c, &unused); /* made now, off any exec's path */
}

void container_exec_standby_stop(struct engine *e, struct container *c)
{
	if (c->prep_timerfd >= 0) {
		engine_unwatch(e, c->prep_timerfd);
		closep(&c->prep_timerfd);
	}
	if (!c->exec_ready)
		return;
	engine_unwatch(e, c->exec_ready->pidfd);
	kill_helper(c->exec_ready);
	free(c->exec_ready);
	c->exec_ready = NULL;
}

void container_exec_event(struct engine *e, struct container *c, unsigned id, enum event_kind kind)
{
	struct exec_session *s = find(c, id);
	siginfo_t info = {0};

	if (id == 0) { /* the spawner died (its container went): reap it */
		container_exec_standby_stop(e, c);
		return;
	}
	if (!s)
		return;
	if (kind == EV_EXEC_REPORT) {
		char buf[300];
		ssize_t n = read(s->report_fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			if (!strncmp(buf, "fail ", 5))
				snprintf(s->error, sizeof(s->error), "%s", buf + 5);
			start_settled(s);
			return;
		}
		engine_unwatch(e, s->report_fd);
		closep(&s->report_fd);
		s->report_fd = -EBADF;
		start_settled(s);
		return;
	}
	/* Our own child: reap it through its pidfd, its status is the command's code. */
	if (waitid(P_PIDFD, (id_t) s->pidfd, &info, WEXITED | WNOHANG) < 0 || info.si_pid == 0)
		return;
	s->code = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
	s->state = EXEC_EXITED;
	start_settled(s);
	if (s->error[0])
		container_set_error(c, "exec %u: %s", id, s->error);
	engine_unwatch(e, s->pidfd);
	closep(&s->pidfd);
	s->pidfd = -EBADF;
	if (s->out_wd >= 0) {
		inotify_rm_watch(e->inotify_fd, s->out_wd);
		s->out_wd = -1;
	}
	container_wake_session(c, id, true);
}

void container_exec_output_grew(struct container *c, int wd)
{
	for (struct exec_session *s = c->sessions; s; s = s->next)
		if (s->out_wd == wd && wd >= 0)
			container_wake_session(c, s->id, false);
}

int container_exec_output_open(struct engine *e, const struct container *c, unsigned id)
{
	char path[PATH_MAX];
	int fd;

	if (!find(c, id))
		return -ENOENT;
	output_path(e, c, id, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	return fd < 0 ? negerrno() : fd;
}

bool container_exec_done(const struct container *c, unsigned id, int *ret_code)
{
	struct exec_session *s = find(c, id);

	if (!s || s->state != EXEC_EXITED)
		return false;
	*ret_code = s->code;
	return true;
}

bool container_exec_started(const struct container *c, unsigned id)
{
	struct exec_session *s = find(c, id);

	return s && s->state != EXEC_NEW;
}

const char *container_exec_error(const struct container *c, unsigned id)
{
	struct exec_session *s = find(c, id);

	return s ? s->error : "";
}

int container_exec_remove(struct engine *e, struct container *c, unsigned id)
{
	struct exec_session **pp, *s;

	for (pp = &c->sessions; *pp && (*pp)->id != id; pp = &(*pp)->next)
		;
	s = *pp;
	if (!s)
		return -ENOENT;
	if (s->state == EXEC_RUNNING) {
		container_set_error(c, "Exec session %u is running", id);
		return -EBUSY;
	}
	*pp = s->next;
	container_wake_session(c, id, true);
	session_free(e, c, s);
	return 0;
}

void container_exec_free_all(struct engine *e, struct container *c)
{
	container_exec_standby_stop(e, c);
	while (c->sessions) {
		struct exec_session *s = c->sessions;
		c->sessions = s->next;
		if (s->pidfd >= 0) { /* still running: stop it and reap it, leave no zombie */
			siginfo_t info;
			process_signal(s->pidfd, SIGKILL);
			waitid(P_PIDFD, (id_t) s->pidfd, &info, WEXITED);
		}
		container_wake_session(c, s->id, true);
		start_settled(s);
		session_free(e, c, s);
	}
}

int container_exec_set_tty(struct container *c, unsigned id, const char *text, size_t len)
{
	struct exec_session *s = find(c, id);
	char buf[64], line[64];
	unsigned rows, cols;
	char extra;

	if (!s)
		return -ENOENT;
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (sscanf(buf, "%u %u %c", &rows, &cols, &extra) != 2 || rows == 0 || cols == 0 ||
	    rows > 10000 || cols > 10000) {
		container_set_error(c, "Bad terminal size \"%.32s\": ROWS COLS", buf);
		return -EINVAL;
	}
	s->rows = rows;
	s->cols = cols;
	if (s->state == EXEC_RUNNING && s->ctl_write >= 0) {
		int n = snprintf(line, sizeof(line), "winsize %u %u\n", rows, cols);
		if (write(s->ctl_write, line, (size_t) n) < 0)
			return negerrno();
	}
	return 0;
}

int container_exec_get_tty(const struct container *c, unsigned id, struct strbuf *out)
{
	struct exec_session *s = find(c, id);

	if (!s)
		return -ENOENT;
	return s->rows ? strbuf_addf(out, "%u %u\n", s->rows, s->cols) : 0;
}
