/* Reads, writes and poll, including the ones answered later: a read at the end of a running
 * container's log, a read of `wait`, and a ctl write that starts or stops a container park
 * their request here, and the engine's event thread answers it. No worker thread ever blocks,
 * so any number of `cat logs` cannot wedge the mount. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "ctl.h"
#include "events.h"
#include "fs-internal.h"
#include "log.h"

#define FS_MAX_WRITE (64 * 1024)

enum park_kind { PARK_READ, PARK_CTL };

struct park {
	struct container_waiter w; /* first: a waiter is its park */
	struct park *next, *prev;
	struct fs *fs;
	fuse_req_t req;
	enum park_kind kind;
	struct open_file *of;
	uint64_t slot;
	size_t size;
	off_t off;
};

static void park_link(struct fs *fs, struct park *p)
{
	p->prev = NULL;
	p->next = fs->parks;
	if (fs->parks)
		fs->parks->prev = p;
	fs->parks = p;
}

static void park_unlink(struct fs *fs, struct park *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		fs->parks = p->next;
	if (p->next)
		p->next->prev = p->prev;
}

/* A write's answer: its errno, or the whole count. */
static void reply_result(fuse_req_t req, size_t size, int r)
{
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_write(req, size);
}

/* After a long verb was asked for with park P: keep P for its answer, or answer now. */
static void ctl_started(struct fs *fs, fuse_req_t req, struct container *c, struct park *p, int r,
			size_t size)
{
	if (r == CONTAINER_PENDING) {
		park_link(fs, p);
		return;
	}
	free(p);
	reply_result(req, size, fs_fail(c, r));
}

/* A pread of FD answering REQ: a real file's bytes (root/, an export, a file copied in). */
void fs_reply_pread(fuse_req_t req, int fd, size_t size, off_t off)
{
	_cleanup_free_ char *buf = malloc(size ? size : 1);
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = pread(fd, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_buf(req, buf, (size_t) n);
}

/* The reader went away (Ctrl-C): answer EINTR. Called by libfuse, maybe from inside
 * fuse_req_interrupt_func(), so never with the engine lock held by the caller. */
static void on_interrupt(fuse_req_t req, void *data)
{
	struct fs *fs = data;
	struct park *p;

	engine_lock(fs->engine);
	for (p = fs->parks; p && p->req != req; p = p->next)
		;
	if (p) {
		struct container *c = engine_container_by_slot(fs->engine, p->slot);
		park_unlink(fs, p);
		if (p->kind == PARK_READ && p->of->kind == FILE_EVENTS)
			events_waiter_del(fs->engine, &p->w);
		else if (c && p->kind == PARK_READ)
			container_waiter_del(c, &p->w);
		if (c && p->kind == PARK_CTL)
			container_cancel(fs->engine, c, p);
		fuse_reply_err(req, EINTR);
		free(p);
	}
	engine_unlock(fs->engine);
}

/* Whether more may come: the container runs, or the session has not finished. */
static bool stream_running(struct container *c, const struct open_file *of)
{
	int code;

	if (of->session)
		return container_exec_exists(c, of->session) &&
		       !container_exec_done(c, of->session, &code);
	return container_is_active(c);
}

/* Serve a read of the log at OFF. Returns 1 if answered, 0 if it must wait. */
static int serve_log(struct fs *fs, fuse_req_t req, struct open_file *of, size_t size, off_t off)
{
	struct container *c = engine_container_by_slot(fs->engine, of->slot);
	struct stat st;
	uint64_t end;

	if (fstat(of->log_fd, &st) < 0) {
		fuse_reply_err(req, errno);
		return 1;
	}
	end = (uint64_t) st.st_size;
	if (of->kind == FILE_LOGS_NOW && end > of->log_limit)
		end = of->log_limit;
	if ((uint64_t) off < end) {
		size_t n = end - (uint64_t) off < size ? (size_t) (end - (uint64_t) off) : size;
		_cleanup_free_ char *buf = malloc(n ? n : 1);
		ssize_t got;

		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			return 1;
		}
		got = pread(of->log_fd, buf, n, off);
		if (got < 0) {
			fuse_reply_err(req, errno);
			return 1;
		}
		of->pos = (uint64_t) off + (uint64_t) got;
		fuse_reply_buf(req, buf, (size_t) got);
		return 1;
	}
	of->pos = (uint64_t) off;
	if (of->kind == FILE_LOGS_NOW || !c || !stream_running(c, of)) {
		fuse_reply_buf(req, NULL, 0); /* end of file: nothing more will come */
		return 1;
	}
	if (of->nonblock) {
		fuse_reply_err(req, EAGAIN);
		return 1;
	}
	return 0;
}

/* Serve a read of `wait`. Returns 1 if answered, 0 if it must wait. */
static int serve_wait(struct fs *fs, fuse_req_t req, struct open_file *of, size_t size, off_t off)
{
	struct container *c = engine_container_by_slot(fs->engine, of->slot);
	const struct container_state *st;
	char buf[32];
	int n;

	int code;

	if (!c || (of->session && !container_exec_exists(c, of->session))) {
		fuse_reply_err(req, ENOENT);
		return 1;
	}
	st = container_state(c);
	if (of->session ? !container_exec_done(c, of->session, &code)
			: (container_is_active(c) || st->status != STATUS_EXITED)) {
		if (of->nonblock) {
			fuse_reply_err(req, EAGAIN);
			return 1;
		}
		return 0;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", of->session ? code : st->exitcode);
	if (off >= n) {
		fuse_reply_buf(req, NULL, 0);
		return 1;
	}
	fuse_reply_buf(req, buf + off,
		       (size_t) n - (size_t) off < size ? (size_t) n - (size_t) off : size);
	return 1;
}

static bool is_wait_kind(enum file_kind k)
{
	return k == FILE_WAIT || k == FILE_EXEC_STATUS;
}

static bool is_stream_kind(enum file_kind k)
{
	return k == FILE_LOGS || k == FILE_LOGS_NOW || k == FILE_EXEC_OUTPUT || k == FILE_EVENTS ||
	       is_wait_kind(k);
}

/* Serve a read of `events`: what happened since this reader's position, or wait. */
static int serve_events(struct fs *fs, fuse_req_t req, struct open_file *of, size_t size)
{
	char buf[64 * 1024];
	size_t n = events_read(fs->engine, &of->pos, buf, size < sizeof(buf) ? size : sizeof(buf));

	if (n > 0) {
		fuse_reply_buf(req, buf, n);
		return 1;
	}
	if (of->nonblock) {
		fuse_reply_err(req, EAGAIN);
		return 1;
	}
	return 0;
}

static int serve_stream(struct fs *fs, struct park *p)
{
	if (p->of->kind == FILE_EVENTS)
		return serve_events(fs, p->req, p->of, p->size);
	if (is_wait_kind(p->of->kind))
		return serve_wait(fs, p->req, p->of, p->size, p->off);
	return serve_log(fs, p->req, p->of, p->size, p->off);
}

/* A parked read's container changed: answer it, or wait on. Engine lock held. */
static void on_wake(struct container_waiter *w)
{
	struct park *p = (struct park *) w;
	struct fs *fs = p->fs;
	struct container *c;

	if (serve_stream(fs, p)) {
		park_unlink(fs, p);
		free(p);
		return;
	}
	if (p->of->kind == FILE_EVENTS) {
		events_waiter_add(fs->engine, &p->w);
		return;
	}
	c = engine_container_by_slot(fs->engine, p->slot);
	container_waiter_add(c, &p->w);
}

static void park_read(struct fs *fs, fuse_req_t req, struct open_file *of, size_t size, off_t off)
{
	struct container *c = engine_container_by_slot(fs->engine, of->slot);
	struct park *p = calloc(1, sizeof(*p));

	if (!p) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (fuse_req_interrupted(req)) {
		free(p);
		fuse_reply_err(req, EINTR);
		return;
	}
	*p = (struct park){
		.w = {.kind = is_wait_kind(of->kind) ? WAITER_EXIT : WAITER_LOG,
		      .session = of->session,
		      .offset = (uint64_t) off,
		      .wake = on_wake},
		.fs = fs,
		.req = req,
		.kind = PARK_READ,
		.of = of,
		.slot = of->slot,
		.size = size,
		.off = off,
	};
	park_link(fs, p);
	if (of->kind == FILE_EVENTS)
		events_waiter_add(fs->engine, &p->w);
	else
		container_waiter_add(c, &p->w);
}

static int build_snapshot(struct fs *fs, struct open_file *of)
{
	struct container *c;

	strbuf_free(&of->snap);
	if (of->kind == FILE_VERSION)
		return strbuf_addf(&of->snap, "ctrfs %s\n", CTRFS_VERSION);
	if (of->kind == FILE_INFO)
		return engine_info(fs->engine, &of->snap);
	if (of->kind == FILE_IMAGES_CTL || of->kind == FILE_IMAGES_ERROR ||
	    of->kind == FILE_IMAGE_INFO)
		return images_snapshot(fs, of);
	if (of->kind == FILE_NETWORK)
		return networks_snapshot(fs, of);
	c = engine_container_by_slot(fs->engine, of->slot);
	if (!c)
		return -ENOENT;
	switch (of->kind) {
	case FILE_CTL:
		return strbuf_add(&of->snap, ctl_help, strlen(ctl_help));
	case FILE_CONFIG:
		return container_config_get(fs->engine, c, (enum container_key) of->file->key,
					    &of->snap);
	case FILE_STATE:
		return of->file->show(fs->engine, c, &of->snap);
	case FILE_EXEC_NEW: {
		unsigned id;
		int r = fs_fail(c, container_exec_new(fs->engine, c, &id));
		return r < 0 ? r : strbuf_addf(&of->snap, "%u\n", id);
	}
	case FILE_EXEC_ENV:
		return container_exec_get_env(c, of->session, &of->snap);
	case FILE_EXEC_TTY:
		return container_exec_get_tty(c, of->session, &of->snap);
	case FILE_EXEC_ERROR: {
		const char *err = container_exec_error(c, of->session);
		return err[0] ? strbuf_addf(&of->snap, "%s\n", err) : 0;
	}
	default:
		return -EINVAL;
	}
}

void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct open_file *of = (struct open_file *) (uintptr_t) fi->fh;
	struct fs *fs = of->fs;
	bool streams = of->kind == FILE_LOGS || of->kind == FILE_EXEC_OUTPUT ||
		       of->kind == FILE_EVENTS || is_wait_kind(of->kind);
	int r = 0;

	(void) ino;
	if (of->kind == FILE_ROOT) {
		fs_reply_pread(req, of->log_fd, size, off);
		return;
	}
	if (streams)
		fuse_req_interrupt_func(req, on_interrupt, fs); /* before taking the lock */
	engine_lock(fs->engine);
	if (is_stream_kind(of->kind)) {
		struct park probe = {.req = req, .of = of, .size = size, .off = off};
		if (!serve_stream(fs, &probe))
			park_read(fs, req, of, size, off);
		engine_unlock(fs->engine);
		return;
	}
	if (of->kind == FILE_IMAGE_EXPORT || of->kind == FILE_INCOMING) {
		engine_unlock(fs->engine);
		fs_reply_pread(req, of->log_fd, size, off);
		return;
	}
	/* Everything else is a snapshot made at offset 0, so `cat` sees one consistent view. */
	if (off == 0 || !of->snap.data)
		r = build_snapshot(fs, of);
	engine_unlock(fs->engine);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if ((size_t) off >= of->snap.len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	fuse_reply_buf(req, of->snap.data + off,
		       of->snap.len - (size_t) off < size ? of->snap.len - (size_t) off : size);
}

/* A long ctl verb finished (event thread, engine lock held). */
static void on_ctl_done(void *data, int result)
{
	struct park *p = data;

	park_unlink(p->fs, p);
	if (result < 0) {
		struct container *c = engine_container_by_slot(p->fs->engine, p->slot);
		fs_fail(c, result);
		fuse_reply_err(p->req, -result);
	} else {
		fuse_reply_write(p->req, p->size);
	}
	free(p);
}

struct commit_req {
	struct fs *fs;
	fuse_req_t req;
	struct commit_job *job;
	uint64_t slot;
	size_t size;
	char image[72];
};

/* The copy runs without the lock; the container stays frozen and busy meanwhile. */
static void commit_run(void *arg)
{
	struct commit_req *cr = arg;
	char err[512] = "";
	int r = commit_job_run(cr->job, err, sizeof(err));
	struct container *c;

	engine_lock(cr->fs->engine);
	container_commit_finish(cr->job);
	c = engine_container_by_slot(cr->fs->engine, cr->slot);
	if (r < 0 && c)
		container_set_error(c, "Cannot commit to %s: %s", cr->image,
				    err[0] ? err : strerror(-r));
	if (r < 0)
		fuse_reply_err(cr->req, -fs_fail(c, r));
	else
		fuse_reply_write(cr->req, cr->size);
	if (r == 0) {
		log_info("Committed %s to image %s", c ? container_config(c)->name : "?",
			 cr->image);
		events_emit(cr->fs->engine, "image", cr->image, "commit");
	}
	engine_unlock(cr->fs->engine);
	commit_job_free(cr->job);
	free(cr);
}

static void commit(struct fs *fs, fuse_req_t req, struct container *c, const char *image,
		   size_t size)
{
	struct commit_req *cr = calloc(1, sizeof(*cr));
	int r;

	if (!cr) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r = container_commit_start(fs->engine, c, image, &cr->job);
	if (r < 0) {
		free(cr);
		fuse_reply_err(req, -fs_fail(c, r));
		return;
	}
	cr->fs = fs;
	cr->req = req;
	cr->slot = container_slot(c);
	cr->size = size;
	snprintf(cr->image, sizeof(cr->image), "%s", image);
	if (fs_run_async(commit_run, cr) < 0) {
		container_commit_finish(cr->job);
		commit_job_free(cr->job);
		free(cr);
		fuse_reply_err(req, EAGAIN);
	}
}

static void write_ctl(struct fs *fs, fuse_req_t req, struct container *c, const char *buf,
		      size_t size)
{
	struct ctl_cmd cmd;
	char err[256];
	struct park *p;
	int r;

	r = ctl_parse(buf, size, &cmd, err, sizeof(err));
	if (r < 0) {
		container_set_error(c, "%s", err);
		fuse_reply_err(req, -fs_fail(c, r));
		return;
	}
	if (cmd.verb == CTL_KILL || cmd.verb == CTL_PAUSE || cmd.verb == CTL_RESUME) {
		r = cmd.verb == CTL_KILL    ? container_kill(fs->engine, c, cmd.sig)
		    : cmd.verb == CTL_PAUSE ? container_pause(fs->engine, c)
					    : container_resume(fs->engine, c);
		reply_result(req, size, fs_fail(c, r));
		return;
	}
	if (cmd.verb == CTL_COMMIT) {
		commit(fs, req, c, cmd.image, size);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*p = (struct park){
		.fs = fs, .req = req, .kind = PARK_CTL, .slot = container_slot(c), .size = size};
	switch (cmd.verb) {
	case CTL_RUN:
		r = container_run(fs->engine, c, on_ctl_done, p);
		break;
	case CTL_STOP:
		r = container_stop(fs->engine, c, cmd.secs, on_ctl_done, p);
		break;
	default:
		r = container_restart(fs->engine, c, cmd.secs, on_ctl_done, p);
		break;
	}
	if (r == CONTAINER_PENDING)
		log_info("%s: %.*s", container_config(c)->name, (int) strcspn(buf, "\n"), buf);
	ctl_started(fs, req, c, p, r, size);
}

static void write_config(struct fs *fs, fuse_req_t req, struct open_file *of, struct container *c,
			 const char *buf, size_t size, off_t off)
{
	size_t keep;
	int r;

	/* A value may come in several writes of one open; each write re-applies all of it. */
	if (off == 0)
		of->wbuf.len = 0;
	if ((size_t) off != of->wbuf.len) {
		container_set_error(c, "Write %s from its start, in order",
				    of->file ? of->file->name : "env");
		fuse_reply_err(req, -fs_fail(c, -EINVAL));
		return;
	}
	if (of->wbuf.len + size > FS_MAX_WRITE) {
		container_set_error(c, "Value of %s too long (at most %d bytes)",
				    of->file ? of->file->name : "env", FS_MAX_WRITE);
		fuse_reply_err(req, -fs_fail(c, -EFBIG));
		return;
	}
	keep = of->wbuf.len;
	r = strbuf_add(&of->wbuf, buf, size);
	if (r == 0 && of->kind == FILE_EXEC_ENV)
		r = container_exec_set_env(fs->engine, c, of->session, of->wbuf.data, of->wbuf.len);
	else if (r == 0)
		r = container_config_set(fs->engine, c, (enum container_key) of->file->key,
					 of->wbuf.data, of->wbuf.len);
	if (r < 0)
		of->wbuf.len = keep;
	reply_result(req, size, fs_fail(c, r));
}

static void on_ctl_done(void *data, int result);

/* The write returns once the command runs (the helper reported), like `run`. */
static void write_exec_cmd(struct fs *fs, fuse_req_t req, struct open_file *of, struct container *c,
			   const char *buf, size_t size)
{
	struct park *p = calloc(1, sizeof(*p));
	int r;

	if (!p) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*p = (struct park){.fs = fs, .req = req, .kind = PARK_CTL, .slot = of->slot, .size = size};
	r = container_exec_start(fs->engine, c, of->session, buf, size, on_ctl_done, p);
	ctl_started(fs, req, c, p, r, size);
}

static void write_exec_stdin(fuse_req_t req, struct open_file *of, struct container *c,
			     const char *buf, size_t size)
{
	ssize_t n = container_exec_write_stdin(c, of->session, buf, size);

	if (n < 0)
		fuse_reply_err(req, (int) -fs_fail(c, (int) n));
	else
		fuse_reply_write(req, (size_t) n);
}

void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
	      struct fuse_file_info *fi)
{
	struct open_file *of = (struct open_file *) (uintptr_t) fi->fh;
	struct fs *fs = of->fs;
	struct container *c;

	(void) ino;
	if (of->kind == FILE_ROOT) {
		ssize_t n = pwrite(of->log_fd, buf, size, off);
		if (n < 0)
			fuse_reply_err(req, errno);
		else
			fuse_reply_write(req, (size_t) n);
		return;
	}
	engine_lock(fs->engine);
	c = engine_container_by_slot(fs->engine, of->slot);
	if (of->kind == FILE_IMAGES_CTL || of->kind == FILE_INCOMING)
		images_write(req, fs, of, buf, size, off);
	else if (of->kind == FILE_NETWORK)
		reply_result(req, size, networks_write(fs, of, buf, size));
	else if (!c)
		fuse_reply_err(req, ENOENT);
	else if (of->kind == FILE_CTL)
		write_ctl(fs, req, c, buf, size);
	else if (of->kind == FILE_CONFIG || of->kind == FILE_EXEC_ENV)
		write_config(fs, req, of, c, buf, size, off);
	else if (of->kind == FILE_EXEC_CMD)
		write_exec_cmd(fs, req, of, c, buf, size);
	else if (of->kind == FILE_EXEC_TTY)
		reply_result(req, size,
			     fs_fail(c, container_exec_set_tty(c, of->session, buf, size)));
	else if (of->kind == FILE_EXEC_STDIN)
		write_exec_stdin(req, of, c, buf, size);
	else
		fuse_reply_err(req, EACCES);
	engine_unlock(fs->engine);
}

static void on_poll_wake(struct container_waiter *w)
{
	struct open_file *of =
		(struct open_file *) ((char *) w - offsetof(struct open_file, poll_waiter));

	if (of->ph) {
		fuse_lowlevel_notify_poll(of->ph);
		fuse_pollhandle_destroy(of->ph);
		of->ph = NULL;
	}
}

void fs_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct fuse_pollhandle *ph)
{
	struct open_file *of = (struct open_file *) (uintptr_t) fi->fh;
	struct fs *fs = of->fs;
	struct container *c;
	unsigned revents = 0;
	uint64_t size = 0;

	(void) ino;
	engine_lock(fs->engine);
	c = engine_container_by_slot(fs->engine, of->slot);
	int code;
	struct stat st;
	if (of->kind == FILE_LOGS && c) {
		container_log_size(fs->engine, c, &size);
		if (of->pos < size || !container_is_active(c))
			revents = POLLIN;
	} else if (of->kind == FILE_EXEC_OUTPUT && c) {
		if ((fstat(of->log_fd, &st) == 0 && of->pos < (uint64_t) st.st_size) ||
		    !stream_running(c, of))
			revents = POLLIN;
	} else if (of->kind == FILE_WAIT && c) {
		if (!container_is_active(c) && container_state(c)->status == STATUS_EXITED)
			revents = POLLIN;
	} else if (of->kind == FILE_EVENTS) {
		if (of->pos < events_head(fs->engine)) {
			revents = POLLIN;
		} else if (ph) {
			if (of->ph)
				fuse_pollhandle_destroy(of->ph);
			of->ph = ph;
			ph = NULL;
			events_waiter_del(fs->engine, &of->poll_waiter);
			of->poll_waiter = (struct container_waiter){.wake = on_poll_wake};
			events_waiter_add(fs->engine, &of->poll_waiter);
		}
	} else if (of->kind == FILE_EXEC_STATUS && c) {
		if (!container_exec_exists(c, of->session) ||
		    container_exec_done(c, of->session, &code))
			revents = POLLIN;
	} else {
		revents = POLLIN | POLLOUT;
	}
	if (c && !revents && ph) {
		if (of->ph)
			fuse_pollhandle_destroy(of->ph);
		of->ph = ph;
		ph = NULL;
		container_waiter_del(c, &of->poll_waiter);
		of->poll_waiter = (struct container_waiter){
			.kind = is_wait_kind(of->kind) ? WAITER_EXIT : WAITER_LOG,
			.session = of->session,
			.offset = of->pos,
			.wake = on_poll_wake,
		};
		container_waiter_add(c, &of->poll_waiter);
	}
	engine_unlock(fs->engine);
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, revents);
}

void fs_forget_open(struct fs *fs, struct open_file *of)
{
	struct container *c = engine_container_by_slot(fs->engine, of->slot);

	if (of->kind == FILE_EVENTS)
		events_waiter_del(fs->engine, &of->poll_waiter);
	else if (c)
		container_waiter_del(c, &of->poll_waiter);
	if (of->ph) {
		fuse_pollhandle_destroy(of->ph);
		of->ph = NULL;
	}
	for (struct park *p = fs->parks, *next; p; p = next) {
		next = p->next;
		if (p->of != of || p->kind != PARK_READ)
			continue;
		park_unlink(fs, p);
		if (of->kind == FILE_EVENTS)
			events_waiter_del(fs->engine, &p->w);
		else if (c)
			container_waiter_del(c, &p->w);
		fuse_reply_err(p->req, EINTR);
		free(p);
	}
}
