/* The exec/ directory of a running container, Plan 9 style: reading exec/new makes a session
 * N and returns its number; exec/N/ then holds cmd (write a command line to start it), env,
 * stdin, output (streams like logs), status (blocks until the exit code), error and tty. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-internal.h"

static const struct {
	const char *name;
	enum file_kind kind;
	mode_t mode;
} session_files[] = {
	{NULL, 0, 0},
	{"cmd", FILE_EXEC_CMD, 0222},
	{"env", FILE_EXEC_ENV, 0666},
	{"stdin", FILE_EXEC_STDIN, 0222},
	{"output", FILE_EXEC_OUTPUT, 0444},
	{"status", FILE_EXEC_STATUS, 0444},
	{"error", FILE_EXEC_ERROR, 0444},
	{"tty", FILE_EXEC_TTY, 0666},
};
#define SESSION_FILES (sizeof(session_files) / sizeof(session_files[0]))

/* The container of an exec inode, if it and (for N >= 1) its session exist. */
static struct container *owner(struct fs *fs, fuse_ino_t ino)
{
	struct container *c = engine_container_by_slot(fs->engine, exec_ino_slot(ino));
	unsigned session = exec_ino_session(ino);

	if (!c || (session && !container_exec_exists(c, session)))
		return NULL;
	return c;
}

fuse_ino_t exec_lookup(struct fs *fs, fuse_ino_t parent, const char *name)
{
	struct container *c = owner(fs, parent);
	unsigned session = exec_ino_session(parent);
	unsigned long n;
	char *end;

	if (!c || exec_ino_file(parent) != 0)
		return 0;
	if (session == 0) {
		if (!strcmp(name, "new"))
			return exec_ino(exec_ino_slot(parent), 0, 1);
		n = strtoul(name, &end, 10);
		if (*end || n == 0 || n > 0xfffff || !container_exec_exists(c, (unsigned) n))
			return 0;
		return exec_ino(exec_ino_slot(parent), (unsigned) n, 0);
	}
	for (unsigned i = 1; i < SESSION_FILES; i++)
		if (!strcmp(name, session_files[i].name))
			return exec_ino(exec_ino_slot(parent), session, i);
	return 0;
}

int exec_fill_attr(struct fs *fs, fuse_ino_t ino, struct stat *st)
{
	struct container *c = owner(fs, ino);
	unsigned session = exec_ino_session(ino), file = exec_ino_file(ino);
	const struct container_config *cfg;
	static const struct cfile as_dir = {.mode = 0777};

	if (!c)
		return -ENOENT;
	cfg = container_config(c);
	st->st_uid = cfg->uid;
	st->st_gid = cfg->gid;
	st->st_atim = st->st_mtim = st->st_ctim = cfg->created;
	if (file == 0) {
		st->st_mode = S_IFDIR | (cfile_mode(&as_dir, cfg->mode) | (cfg->mode & 0111));
		st->st_nlink = 2;
		return 0;
	}
	if ((session == 0 && file != 1) || (session && file >= SESSION_FILES))
		return -ENOENT;
	struct cfile f = {.mode = session ? session_files[file].mode : 0444};
	st->st_mode = S_IFREG | cfile_mode(&f, cfg->mode);
	st->st_nlink = 1;
	return 0;
}

int exec_listing(fuse_req_t req, struct fs *fs, fuse_ino_t ino, struct strbuf *sb)
{
	struct container *c = owner(fs, ino);
	unsigned session = exec_ino_session(ino);
	uint64_t slot = exec_ino_slot(ino);
	int r;

	if (!c || exec_ino_file(ino) != 0)
		return -ENOENT;
	r = fs_dir_add(req, sb, ".", ino, S_IFDIR);
	if (r == 0)
		r = fs_dir_add(req, sb, "..",
			       session ? exec_ino(slot, 0, 0) : container_ino(slot, 0), S_IFDIR);
	if (session == 0) {
		unsigned ids[EXEC_MAX_SESSIONS];
		size_t n = container_exec_list(c, ids, EXEC_MAX_SESSIONS);
		char name[16];

		if (r == 0)
			r = fs_dir_add(req, sb, "new", exec_ino(slot, 0, 1), S_IFREG);
		for (size_t i = 0; i < n && r == 0; i++) {
			snprintf(name, sizeof(name), "%u", ids[i]);
			r = fs_dir_add(req, sb, name, exec_ino(slot, ids[i], 0), S_IFDIR);
		}
		return r;
	}
	for (unsigned i = 1; i < SESSION_FILES && r == 0; i++)
		r = fs_dir_add(req, sb, session_files[i].name, exec_ino(slot, session, i), S_IFREG);
	return r;
}

int exec_open(struct fs *fs, fuse_ino_t ino, int flags, struct open_file *of)
{
	struct container *c = owner(fs, ino);
	unsigned session = exec_ino_session(ino), file = exec_ino_file(ino);
	int acc = flags & O_ACCMODE;

	if (!c || file == 0)
		return -ENOENT;
	of->slot = exec_ino_slot(ino);
	of->session = session;
	if (session == 0) {
		of->kind = FILE_EXEC_NEW;
		return acc == O_RDONLY ? 0 : -EACCES;
	}
	if (file >= SESSION_FILES)
		return -ENOENT;
	of->kind = session_files[file].kind;
	switch (of->kind) {
	case FILE_EXEC_CMD:
	case FILE_EXEC_STDIN:
		if (acc != O_WRONLY)
			return -EACCES; /* write-only: a read could never answer */
		return of->kind == FILE_EXEC_STDIN ? container_exec_stdin_ref(c, session, +1) : 0;
	case FILE_EXEC_ENV:
	case FILE_EXEC_TTY:
		return 0;
	case FILE_EXEC_OUTPUT:
		if (acc != O_RDONLY)
			return -EACCES;
		of->log_fd = container_exec_output_open(fs->engine, c, session);
		return of->log_fd < 0 ? of->log_fd : 0;
	default:
		return acc == O_RDONLY ? 0 : -EACCES;
	}
}

int exec_rmdir(struct fs *fs, fuse_ino_t parent, const char *name)
{
	struct container *c = owner(fs, parent);
	unsigned long n;
	char *end;

	if (!c || exec_ino_session(parent) != 0 || exec_ino_file(parent) != 0)
		return -ENOENT;
	n = strtoul(name, &end, 10);
	if (*end || n == 0 || n > 0xfffff)
		return strcmp(name, "new") ? -ENOENT : -ENOTDIR;
	return fs_fail(c, container_exec_remove(fs->engine, c, (unsigned) n));
}
