/* What engine.c (registry, event thread, adoption) and container.c (verbs) share. */
#pragma once

#include <pthread.h>

#include "container.h"
#define STANDBY_MONITORS 2
#define EVENT_LINE_MAX 256

#include "events.h"

#include "exec.h"
#include "paths.h"

/* What an epoll event is about: stored in epoll_event.data.u64 as (slot << 8 | kind), so a
 * container freed meanwhile is simply not found. */
enum event_kind {
	EV_WAKE = 1,	 /* engine_free() stops the thread */
	EV_INOTIFY,	 /* a log file grew */
	EV_REPORT,	 /* a starting monitor reported */
	EV_MONITOR,	 /* a monitor exited */
	EV_INIT,	 /* an orphaned init (its monitor died) exited */
	EV_STOP_TIMER,	 /* a stop's grace period is over */
	EV_EXEC_REPORT,	 /* an exec helper reported */
	EV_EXEC_EXIT,	 /* an exec helper exited */
	EV_EXEC_PREPARE, /* a container has run a while: make its exec spawner */
	EV_REAP,	 /* a finishing monitor of a container that moved on has exited */
};
#define EV_SLOT_SHIFT 28
#define EV_SESSION_MASK 0xfffff

enum exec_state { EXEC_NEW, EXEC_RUNNING, EXEC_EXITED };

/* One exec session: a command run inside the container through its exec/N/ files. */
struct exec_session {
	struct exec_session *next;
	unsigned id;
	enum exec_state state;
	char **env;	     /* extra KEY=VALUE for the command */
	int stdin_opens;     /* opens of exec/N/stdin right now */
	int stdin_write;     /* our end of the command's stdin pipe, or -1 */
	int stdin_read;	     /* its end, until the command starts */
	int ctl_write;	     /* winsize messages to the helper */
	unsigned rows, cols; /* a terminal of this size (rows 0: none) */
	pid_t pid;
	int pidfd;
	int report_fd;
	int out_wd;
	int code;
	char error[256];
	container_done_fn start_done; /* the cmd write waits until the command runs */
	void *start_data;
};

struct pending_op {
	struct pending_op *next;
	container_done_fn done;
	void *data;
};

struct container {
	struct container *next;
	uint64_t slot;
	struct container_config cfg;
	struct container_state st;
	char error[512];
	bool starting;	   /* a monitor was spawned and has not reported yet */
	bool stopped;	   /* this run's end was settled (container_stopped) */
	bool paused;	   /* frozen by pause; a marker file keeps it across daemon restarts */
	bool committing;   /* its writable layer is being copied into an image */
	uint64_t root_gen; /* changes whenever its root filesystem is mounted anew */
	int report_fd;
	struct strbuf report;
	int monitor_pidfd;
	int init_pidfd;
	int stop_timerfd;
	int prep_timerfd; /* EV_EXEC_PREPARE */
	int log_wd;
	struct pending_op *run_ops; /* at most one, but a restart chains through it */
	struct pending_op *stop_ops;
	struct container_waiter *waiters;
	struct exec_session *sessions;
	unsigned next_session;
	struct endpoint *ep; /* its place on a network while it runs (network.c) */
	bool hosts_stale; /* its hosts file changed while its monitor was copying it (network.c) */
	struct exec_child *exec_ready; /* an exec helper already in its cgroup and namespaces */
};

struct engine {
	struct engine_paths paths;
	char self_exe[4096];
	char default_network[72];
	pthread_mutex_t lock;
	struct container *containers;
	uint64_t next_slot;
	int epfd;
	int inotify_fd;
	int wake_fd;
	pthread_t thread;
	bool thread_running;
	struct network *networks;
	uint64_t next_network_slot;
	struct reaper *reapers; /* monitors finishing a run nobody follows any more */
	char events[EVENTS_RING][EVENT_LINE_MAX]; /* the events stream (events.c) */
	uint64_t events_seq;
	struct container_waiter *event_waiters;
	uint64_t next_reaper;
	/* A monitor started ahead of time, waiting for a container (see monitor_spawn). */
	struct standby {
		int report_fd;
		int cmd_fd;
	} standby[STANDBY_MONITORS];
};

/* Start standby monitors where a slot is empty. Two: back-to-back starts (a loop of short
 * containers) come faster than one monitor can join its cgroup (7-13 ms on v1). */
void engine_standby_refill(struct engine *e);
struct standby *engine_standby_take(struct engine *e);

int engine_watch(struct engine *e, int fd, struct container *c, enum event_kind kind);
int engine_watch_session(struct engine *e, int fd, struct container *c, unsigned session,
			 enum event_kind kind, uint32_t events);
/* The same with an object's id in the slot bits (a container's slot, a reaper's id). */
int engine_watch_id(struct engine *e, int fd, uint64_t id, unsigned session, enum event_kind kind,
		    uint32_t events);

/* An exec helper of session ID reported or exited. */
void container_exec_event(struct engine *e, struct container *c, unsigned id, enum event_kind kind);
/* inotify watch WD fired: wake readers of the session whose output it is. */
void container_exec_output_grew(struct container *c, int wd);
/* Re-read the paused marker (adoption) or drop it (the container stopped). */
void container_pause_reload(struct engine *e, struct container *c);
/* Keep an exec helper ready for a running container (from the event thread only), or stop
 * it (the container stopped). */
void container_exec_standby(struct engine *e, struct container *c);
void container_exec_standby_stop(struct engine *e, struct container *c);
void container_exec_prepare_due(struct engine *e, struct container *c);
/* Forget the pending cmd write registered with DATA. */
void container_exec_cancel(struct container *c, void *data);
/* Drop every session (the container goes). */
void container_exec_free_all(struct engine *e, struct container *c);
void engine_unwatch(struct engine *e, int fd);

/* Reload the state file written by the monitor and attach to what runs. */
void container_refresh(struct engine *e, struct container *c);
/* The monitor (or orphaned init) is gone: settle the final state and wake everyone. */
void container_exited(struct engine *e, struct container *c);
/* A monitor that still unmounts a finished run while its container moved on (removed, or
 * started again): when it exits, its cgroup is removed. */
struct reaper {
	struct reaper *next;
	uint64_t id;
	int pidfd;
	char cgroup[512];
};
/* Hand C's finishing monitor (if any) to a reaper; C may then start again or go. */
void container_hand_off_monitor(struct engine *e, struct container *c);
void engine_reap(struct engine *e, uint64_t id);

/* Remove the cgroup of a stopped container. */
void container_release_cgroup(struct container *c);
/* The starting monitor's report pipe is readable. */
void container_report_ready(struct engine *e, struct container *c);
/* The stop grace period is over: SIGKILL. */
void container_stop_timeout(struct engine *e, struct container *c);
/* The log grew: wake log waiters. */
void container_log_grew(struct engine *e, struct container *c);

struct container *container_alloc(struct engine *e);
void container_free(struct container *c);
void container_wake_all(struct container *c, bool exit_only);
/* Wake the waiters of SESSION (0: the container itself): readers of its output always, those
 * waiting for its exit only with EXIT_TOO. */
void container_wake_session(struct container *c, unsigned session, bool exit_too);
