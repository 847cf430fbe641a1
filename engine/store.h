/* The state store: a container's configuration (data dir, survives reboots) and its live state
 * (run-state dir), as JSON files replaced atomically. The monitor is the only writer of the
 * state file while a container runs; the daemon writes it only when no monitor exists. */
#pragma once

#include <stdbool.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "paths.h"

struct container_config {
	char name[65];
	char id[65];
	char *image;
	char **argv;	/* NULL: the image's default command */
	char **env;	/* NULL-terminated KEY=VALUE list, never NULL once loaded */
	char *workdir;	/* NULL: the image's */
	char *hostname; /* NULL: the first 12 digits of id */
	uid_t uid;
	gid_t gid;
	mode_t mode;
	struct timespec created;
	char **caps;	     /* NULL: Docker's default set; else CAP_ names */
	bool seccomp_off;    /* true: no seccomp filter ("unconfined") */
	uint64_t memory;     /* bytes; 0: no limit */
	uint64_t cpus_milli; /* thousandths of a CPU; 0: no limit */
	uint64_t cpu_shares; /* v1 shares (2-262144); 0: the default */
	char *cpuset;	     /* a cpu list; NULL: all */
	uint64_t pids;	     /* max processes; 0: no limit */
	char **volumes;	     /* HOST:CONTAINER[:ro] lines; NULL-terminated, may be NULL */
	char *network;	     /* a network's name, "none" or "host"; NULL: the default network */
	char **ports;	     /* HOSTPORT:PORT/PROTO lines, may be NULL */
};

enum container_status {
	STATUS_CREATED,
	STATUS_RUNNING,
	STATUS_EXITED,
};

struct container_state {
	enum container_status status;
	pid_t pid;	    /* the container's init, on the host */
	uint64_t pid_start; /* its start time (clock ticks since boot), against pid reuse */
	pid_t monitor_pid;
	uint64_t monitor_start;
	struct timespec started;
	struct timespec finished;
	bool has_exitcode;
	int exitcode;
	char error[512];
	char cgroup[512]; /* where the monitor put the container ("" if nowhere) */
	bool oom_killed;  /* the last exit was the OOM killer's doing */
	char veth[16];	  /* the host end of its endpoint's veth ("" if none) */
	char rootfs[512]; /* where this run's root is mounted (a new path for each run) */
};

void config_clear(struct container_config *cfg);

int store_config_save(const struct engine_paths *p, const struct container_config *cfg);
/* Save into an arbitrary directory (used to build a container atomically). */
int store_config_save_at(const char *dir, const struct container_config *cfg);
int store_config_load(const struct engine_paths *p, const char *name,
		      struct container_config *ret_cfg);

int store_state_save(const struct engine_paths *p, const char *name,
		     const struct container_state *st);
/* A missing state file gives a fresh `created` state. */
int store_state_load(const struct engine_paths *p, const char *name,
		     struct container_state *ret_st);

/* The start lock (flock on the container's run-state directory): a monitor holds it from
 * before it loads the configuration until its run's state is saved (or the failed run is
 * undone), so a daemon restarted meanwhile reads the run's outcome, not the state it is about
 * to replace, and never starts the container a second time. Returns the fd to close. */
int store_start_lock(const struct engine_paths *p, const char *name);
/* Wait (at most TIMEOUT_MS) until no monitor holds NAME's start lock. -ETIMEDOUT if one still
 * does: the caller reads the state anyway, as it would have without the lock. */
int store_start_wait(const struct engine_paths *p, const char *name, int timeout_ms);

/* Serialisation alone, for tests and fuzzing: JSON text <-> struct. */
int store_config_to_json(const struct container_config *cfg, char **ret_text);
int store_config_from_json(const char *text, struct container_config *ret_cfg);
int store_state_to_json(const struct container_state *st, char **ret_text);
int store_state_from_json(const char *text, struct container_state *ret_st);

/* A running container's endpoint, as written to STATE_DIR/containers/NAME/endpoint.json for
 * its monitor (which makes the veth) and read back after a daemon restart. */
#define ENDPOINT_MAX_PORTS 64
struct endpoint {
	char network[65];
	char bridge[16];
	struct in_addr ip;
	struct in_addr gateway;
	unsigned prefix;
	unsigned nports;
	struct {
		int proto;
		uint16_t host, port;
	} ports[ENDPOINT_MAX_PORTS];
};

/* The endpoint file the daemon writes for a container's monitor: JSON text <-> fields. */
int store_endpoint_save(const struct engine_paths *p, const char *name, const struct endpoint *ep);
/* -ENOENT when the container has no endpoint. */
int store_endpoint_load(const struct engine_paths *p, const char *name, struct endpoint *ret);
