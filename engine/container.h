/* Containers: the registry, the state machine and the verbs behind the files. The engine is a
 * library with no FUSE in it; the fs layer calls it holding the engine lock (engine_lock), and
 * long operations complete later through a callback from the engine's event thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"
#include "strutil.h"

struct engine;
struct container;

struct engine_options {
	const char *state_dir;
	const char *data_dir;
	const char *self_exe;	     /* what the monitor is exec'd from */
	const char *busybox;	     /* the static busybox the default image is built from */
	const char *default_network; /* what a container joins when its `network` is unset:
				      * "default" (a bridge made on first use), "none", "host" */
};

/* Open the store, build the default image if missing, adopt every container (re-attaching to
 * running ones). On failure ERR gets the sentence. */
int engine_new(const struct engine_options *o, struct engine **ret, char *err, size_t errsize);
/* Start the event thread (after daemonizing: threads do not survive fork). */
int engine_start(struct engine *e);
void engine_free(struct engine *e);

void engine_lock(struct engine *e);
void engine_unlock(struct engine *e);

/* Everything below needs the engine lock held. */
struct container *engine_container_by_name(struct engine *e, const char *name);
struct container *engine_container_by_slot(struct engine *e, uint64_t slot);
/* Iterate: NULL gives the first. */
struct container *engine_container_next(struct engine *e, struct container *prev);
size_t engine_container_count(struct engine *e);

/* A number unique to this container for the daemon's lifetime (the fs makes inodes of it). */
uint64_t container_slot(const struct container *c);
const struct container_config *container_config(const struct container *c);
const struct container_state *container_state(const struct container *c);
/* Running, or on its way there or back: configuration is frozen, rmdir refused. */
bool container_is_active(const struct container *c);
/* The sentence of the last failure ("" if none). */
const char *container_error(const struct container *c);
void container_set_error(struct container *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int container_create(struct engine *e, const char *name, uid_t uid, gid_t gid, mode_t mode,
		     struct container **ret);
int container_remove(struct engine *e, struct container *c);
int container_set_owner(struct engine *e, struct container *c, uid_t uid, gid_t gid, mode_t mode);

enum container_key {
	CONTAINER_KEY_IMAGE,
	CONTAINER_KEY_CMD,
	CONTAINER_KEY_ENV,
	CONTAINER_KEY_WORKDIR,
	CONTAINER_KEY_HOSTNAME,
	CONTAINER_KEY_CAPS,
	CONTAINER_KEY_SECCOMP,
	CONTAINER_KEY_VOLUMES,
	CONTAINER_KEY_NETWORK,
	CONTAINER_KEY_PORTS,
	/* Limits: also writable while the container runs (a live update of its cgroup). */
	CONTAINER_KEY_MEMORY,
	CONTAINER_KEY_CPUS,
	CONTAINER_KEY_CPU_SHARES,
	CONTAINER_KEY_CPUSET,
	CONTAINER_KEY_PIDS,
};

/* Replace a configuration value with VALUE (as written, one trailing newline ignored). */
int container_config_set(struct engine *e, struct container *c, enum container_key key,
			 const char *value, size_t len);
/* The effective value, newline-terminated. */
int container_config_get(struct engine *e, const struct container *c, enum container_key key,
			 struct strbuf *out);

/* Long verbs return <0 (failed, no callback), 0 (done now, no callback) or CONTAINER_PENDING:
 * DONE(DATA, result) is called exactly once later, from the event thread, with the lock held. */
#define CONTAINER_PENDING 1
typedef void (*container_done_fn)(void *data, int result);

int container_run(struct engine *e, struct container *c, container_done_fn done, void *data);
int container_stop(struct engine *e, struct container *c, unsigned secs, container_done_fn done,
		   void *data);
int container_restart(struct engine *e, struct container *c, unsigned secs, container_done_fn done,
		      void *data);
int container_kill(struct engine *e, struct container *c, int sig);
/* Freeze every process of a running container (cgroup freezer; where ctrfs has none, SIGSTOP
 * to each of them, documented) and thaw it again. */
int container_pause(struct engine *e, struct container *c);
int container_resume(struct engine *e, struct container *c);
bool container_is_paused(const struct container *c);
/* Forget the pending completion registered with DATA (its caller went away). */
void container_cancel(struct engine *e, struct container *c, void *data);

/* Waiters: woken (once, after being unlinked, lock held) when the container stops running,
 * is removed, or, for WAITER_LOG, when its log grows beyond OFFSET. */
enum waiter_kind { WAITER_EXIT, WAITER_LOG };
struct container_waiter {
	struct container_waiter *next, *prev;
	enum waiter_kind kind;
	unsigned session; /* 0: the container; N: exec session N (its exit, its output) */
	uint64_t offset;
	void (*wake)(struct container_waiter *w);
	bool linked;
};
void container_waiter_add(struct container *c, struct container_waiter *w);
void container_waiter_del(struct container *c, struct container_waiter *w);

/* An fd reading the container's log (created empty if it never ran). */
int container_log_open(struct engine *e, const struct container *c);

struct cgroup_stats;
/* Usage from the container's cgroup; all zero when it does not run. */
int container_stats(struct engine *e, const struct container *c, struct cgroup_stats *ret);

/* The log's current size in bytes (0 if it never ran). */
int container_log_size(struct engine *e, const struct container *c, uint64_t *ret);

/* exec sessions (see exec.h): exec/new makes one; its cmd starts the command. A session's
 * id is >= 1 and never reused in one daemon run. -EBUSY if the container does not run. */
#define EXEC_MAX_SESSIONS 32
int container_exec_new(struct engine *e, struct container *c, unsigned *ret_id);
bool container_exec_exists(const struct container *c, unsigned id);
/* Up to MAX ids, newest first; returns how many. */
size_t container_exec_list(const struct container *c, unsigned *ids, size_t max);
int container_exec_set_env(struct engine *e, struct container *c, unsigned id, const char *text,
			   size_t len);
int container_exec_get_env(const struct container *c, unsigned id, struct strbuf *out);
/* Start the command (a cmd line): CONTAINER_PENDING, then DONE(DATA, 0) once it runs (or
 * could not: status and error say why). -EBUSY if this session already ran one. */
int container_exec_start(struct engine *e, struct container *c, unsigned id, const char *line,
			 size_t len, container_done_fn done, void *data);
/* exec/N/stdin opened (+1) or closed (-1): the first open makes the pipe, the last close
 * gives the command end-of-file. */
int container_exec_stdin_ref(struct container *c, unsigned id, int delta);
/* Queue bytes for the command's stdin; -EAGAIN when 1 MiB waits unread. */
ssize_t container_exec_write_stdin(struct container *c, unsigned id, const char *buf, size_t len);
int container_exec_output_open(struct engine *e, const struct container *c, unsigned id);
/* Whether the session's command has exited, and its code. */
bool container_exec_done(const struct container *c, unsigned id, int *ret_code);
bool container_exec_started(const struct container *c, unsigned id);
const char *container_exec_error(const struct container *c, unsigned id);
int container_exec_remove(struct engine *e, struct container *c, unsigned id);
/* exec/N/tty: "ROWS COLS" before cmd gives the command a terminal; later, a resize. */
int container_exec_set_tty(struct container *c, unsigned id, const char *text, size_t len);
int container_exec_get_tty(const struct container *c, unsigned id, struct strbuf *out);

/* commit IMAGE: container_commit_start (lock held) checks and freezes a running container;
 * commit_job_run (no lock: it copies the writable layer, maybe for seconds) makes the image;
 * container_commit_finish (lock held) thaws; commit_job_free always. */
struct commit_job;
int container_commit_start(struct engine *e, struct container *c, const char *image,
			   struct commit_job **ret);
int commit_job_run(struct commit_job *j, char *err, size_t errsize);
void container_commit_finish(struct commit_job *j);
void commit_job_free(struct commit_job *j);

/* Whether a container uses IMAGE; their names, one per line, into USERS (may be NULL). */
bool engine_image_in_use(struct engine *e, const char *image, struct strbuf *users);
const struct engine_paths *engine_paths(const struct engine *e);

/* The container-side paths of the container's volumes, NULL-terminated (NULL if none). */
char **container_volume_targets(const struct container *c);

/* An O_PATH fd of the container's root filesystem as it is now: a running container's own
 * mount, or, for a stopped one, the same overlay mounted for browsing (root/). */
int container_root_open(struct engine *e, struct container *c);
/* Changes whenever the root is mounted anew: fds from before refer to a detached mount. */
uint64_t container_root_generation(const struct container *c);

/* Its address on its network while it runs ("" otherwise), newline-terminated. */
int container_ip(struct engine *e, const struct container *c, struct strbuf *out);

/* The `info` file: "KEY VALUE" lines about the daemon and the host (cgroup mode, the
 * controllers delegated to ctrfs, counts of containers, images, networks). */
int engine_info(struct engine *e, struct strbuf *out);
