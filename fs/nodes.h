/* Inode numbers and the tables of files. Fixed objects have small numbers; a container's
 * directory and files are CONTAINER_BASE + slot * 256 + file index (0: the directory), so an
 * inode stays the same for an object's whole life and is never reused in one daemon run. */
#pragma once

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>

enum {
	INO_ROOT = FUSE_ROOT_ID,
	INO_VERSION,
	INO_CONTAINERS,
	INO_IMAGES,
	INO_IMAGES_CTL,
	INO_IMAGES_ERROR,
	INO_NETWORKS,
	INO_INFO,
	INO_EVENTS,
};

/* Ranges of inode numbers, one per kind of object (see the helpers below). */
#define NETWORK_BASE (UINT64_C(1) << 48)  /* NETWORK_BASE + slot * 16 + file (0: the dir) */
#define INCOMING_BASE (UINT64_C(1) << 52) /* a file being copied into images/ */
#define IMAGE_BASE (UINT64_C(1) << 56)	  /* IMAGE_BASE + slot * 16 + file (0: the dir) */

#define CONTAINER_BASE (UINT64_C(1) << 32)

enum file_kind {
	FILE_CTL,
	FILE_CONFIG,
	FILE_STATE,
	FILE_LOGS,
	FILE_LOGS_NOW,
	FILE_WAIT,
	FILE_VERSION,
	FILE_INFO,	  /* host facts: cgroup mode, counts */
	FILE_EVENTS,	  /* one line per state change; a read at the end waits for the next */
	FILE_EXEC_NEW,	  /* exec/new: reading makes a session */
	FILE_EXEC_CMD,	  /* exec/N/cmd: writing starts the command */
	FILE_EXEC_ENV,	  /* exec/N/env: extra KEY=VALUE lines */
	FILE_EXEC_STDIN,  /* exec/N/stdin: the command's stdin; closing it gives end-of-file */
	FILE_EXEC_OUTPUT, /* exec/N/output: stdout and stderr, streamed like logs */
	FILE_EXEC_STATUS, /* exec/N/status: blocks until exit, then the exit code */
	FILE_EXEC_ERROR,  /* exec/N/error: why it could not start */
	FILE_EXEC_TTY,	  /* exec/N/tty: "ROWS COLS": run on a terminal of that size; resize */
	FILE_IMAGES_CTL,  /* images/ctl: import NAME PATH, tag NAME NEWNAME */
	FILE_IMAGES_ERROR,
	FILE_IMAGE_INFO,   /* images/NAME/{layers,size,created,cmd,env,workdir,used-by} */
	FILE_IMAGE_EXPORT, /* images/NAME/export: a docker-save tar, made at open */
	FILE_INCOMING,	   /* a tar being copied into images/: imported at close */
	FILE_ROOT,	   /* a real file under containers/NAME/root/ */
	FILE_NETWORK,	   /* networks/NAME/{subnet,gateway,bridge,driver,ipam,endpoints,error} */
};

/* exec inodes: EXEC_BASE + slot << 24 + session << 4 + file; session 0 is exec/ itself
 * (file 0) and exec/new (file 1); session N's directory is file 0, its files 1..7. */
#define EXEC_BASE (UINT64_C(1) << 60)

static inline fuse_ino_t exec_ino(uint64_t slot, unsigned session, unsigned file)
{
	return EXEC_BASE + (slot << 24) + ((uint64_t) session << 4) + file;
}

/* root/: real files of a container's root filesystem, numbered as they are first looked up. */
#define ROOT_BASE (UINT64_C(1) << 61)

static inline bool ino_is_root(fuse_ino_t ino)
{
	return ino >= ROOT_BASE;
}

static inline bool ino_is_exec(fuse_ino_t ino)
{
	return ino >= EXEC_BASE && ino < (UINT64_C(1) << 61);
}

static inline uint64_t exec_ino_slot(fuse_ino_t ino)
{
	return (ino - EXEC_BASE) >> 24;
}

static inline unsigned exec_ino_session(fuse_ino_t ino)
{
	return (unsigned) (((ino - EXEC_BASE) >> 4) & 0xfffff);
}

static inline unsigned exec_ino_file(fuse_ino_t ino)
{
	return (unsigned) ((ino - EXEC_BASE) & 0xf);
}

struct engine;
struct container;
struct strbuf;

struct cfile {
	const char *name;
	enum file_kind kind;
	mode_t mode; /* the most it may have; the container dir's mode narrows it */
	int key;     /* FILE_CONFIG: enum container_key */
	int (*show)(struct engine *e, const struct container *c, struct strbuf *out);
};

extern const struct cfile container_files[];
extern const size_t container_files_count;

static inline fuse_ino_t container_ino(uint64_t slot, unsigned idx)
{
	return CONTAINER_BASE + slot * 256 + idx;
}

static inline bool ino_is_container(fuse_ino_t ino)
{
	return ino >= CONTAINER_BASE && ino < NETWORK_BASE;
}

static inline bool ino_is_network(fuse_ino_t ino)
{
	return ino >= NETWORK_BASE && ino < INCOMING_BASE;
}

static inline bool ino_is_image(fuse_ino_t ino)
{
	return ino >= IMAGE_BASE && ino < (UINT64_C(1) << 60);
}

static inline bool ino_is_incoming(fuse_ino_t ino)
{
	return ino >= INCOMING_BASE && ino < IMAGE_BASE;
}

static inline uint64_t ino_slot(fuse_ino_t ino)
{
	return (ino - CONTAINER_BASE) / 256;
}

static inline unsigned ino_index(fuse_ino_t ino)
{
	return (unsigned) ((ino - CONTAINER_BASE) % 256);
}

/* The file of a container inode, or NULL for the directory itself (index 0) or no file. */
const struct cfile *cfile_by_index(unsigned idx);
/* Index (>= 1) of NAME, or 0. */
unsigned cfile_index(const char *name);

/* A file's mode given its container directory's mode: each class (user, group, other) keeps
 * read and write only where it has them on the directory. */
mode_t cfile_mode(const struct cfile *f, mode_t dir_mode);
