/* The default image: a one-layer rootfs made of the system's static busybox, its applet
 * links and a minimal /etc. Its layer id is the sha256 of the layer's canonical tar
 * (layer-tar.h), with every mtime set to the busybox binary's: the same busybox gives the
 * same id on every host and every rebuild. */
#include "image.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cleanup.h"
#include "fileio.h"
#include "layer-store.h"
#include "layer-tar.h"

/* True if PATH is an ELF executable without a program interpreter (statically linked). */
static int elf_is_static(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;

	if (fd < 0)
		return negerrno();
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		return -ENOEXEC;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t) (eh.e_phoff + i * eh.e_phentsize)) !=
		    sizeof(ph))
			return -ENOEXEC;
		if (ph.p_type == PT_INTERP)
			return 0;
	}
	return 1;
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = -EBADF;
	struct stat st;

	if (in < 0 || fstat(in, &st) < 0)
		return negerrno();
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0)
		return negerrno();
	for (off_t left = st.st_size; left > 0;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t) left, 0);
		if (n <= 0)
			return n < 0 ? negerrno() : -EIO;
		left -= n;
	}
	return fchmod(out, mode) < 0 ? negerrno() : 0;
}

/* The applet list of BUSYBOX: `busybox --list-full`, one relative path per line. */
static int busybox_applets(const char *busybox, char **ret_text)
{
	int fds[2];
	pid_t pid;
	int status, r;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return negerrno();
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return negerrno();
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execl(busybox, "busybox", "--list-full", (char *) NULL);
		_exit(127);
	}
	close(fds[1]);
	r = fileio_read_fd(fds[0], 1024 * 1024, ret_text, NULL);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		free(*ret_text);
		r = -ENOEXEC;
	}
	return r;
}

static int write_text(const char *root, const char *rel, const char *text, mode_t mode)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -EBADF;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) < 0) /* the umask must not change the layer id */
		return negerrno();
	return fileio_write_full(fd, text, strlen(text));
}

static int populate_busybox_layer(const char *root, const char *busybox)
{
	static const struct {
		const char *path;
		mode_t mode;
	} dirs[] = {
		{"bin", 0755},	    {"sbin", 0755},	{"usr", 0755},	{"usr/bin", 0755},
		{"usr/sbin", 0755}, {"etc", 0755},	{"tmp", 01777}, {"proc", 0555},
		{"sys", 0555},	    {"dev", 0755},	{"root", 0700}, {"home", 0755},
		{"var", 0755},	    {"var/tmp", 01777}, {"run", 0755},	{"mnt", 0755},
	};
	_cleanup_free_ char *list = NULL;
	char path[PATH_MAX];
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i].path);
		if (mkdir(path, dirs[i].mode) < 0 || chmod(path, dirs[i].mode) < 0)
			return negerrno();
	}
	snprintf(path, sizeof(path), "%s/bin/busybox", root);
	r = copy_file(busybox, path, 0755);
	if (r < 0)
		return r;
	r = busybox_applets(busybox, &list);
	if (r < 0)
		return r;
	for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
		if (!*line || strstr(line, "..") || line[0] == '/' || !strcmp(line, "bin/busybox"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, line);
		if (symlink("/bin/busybox", path) < 0 && errno != EEXIST)
			return negerrno();
	}
	r = write_text(root, "etc/passwd",
		       "root:x:0:0:root:/root:/bin/sh\n"
		       "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
		       "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		       0644);
	if (r == 0)
		r = write_text(root, "etc/group",
			       "root:x:0:\ndaemon:x:1:\ntty:x:5:\nnogroup:x:65534:\n", 0644);
	if (r == 0)
		r = write_text(root, "etc/shadow", "root:*:19000:0:99999:7:::\n", 0640);
	return r;
}

/* Every entry's mtime (and atime) to TS, links themselves included: the canonical tar, hence
 * the layer id, must not depend on when the layer was built. */
static int set_times(int dfd, const struct timespec ts[2], unsigned depth)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > 16)
		return -ELOOP;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return negerrno();
	}
	while ((de = readdir(d)) && r == 0) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_DIR) {
			int cfd = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			r = cfd < 0 ? negerrno() : set_times(cfd, ts, depth + 1);
		}
		if (r == 0 && utimensat(dirfd(d), de->d_name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			r = negerrno();
	}
	closedir(d);
	return r;
}

int image_ensure_busybox(const struct engine_paths *p, const char *busybox)
{
	static char *const cmd[] = {"sh", NULL}, *const env[] = {NULL};
	struct layer_tmp t = {.dirfd = -EBADF};
	_cleanup_close_ int lock = -EBADF;
	char digest[LAYER_ID_LEN + 1], id[LAYER_ID_LEN + 1];
	char *layers[] = {id, NULL};
	struct image img = {
		.layers = layers, .cmd = (char **) cmd, .env = (char **) env, .workdir = "/"};
	struct timespec ts[2];
	struct stat st;
	bool created = false;
	int r;

	if (image_exists(p, IMAGE_DEFAULT))
		return 0;
	r = elf_is_static(busybox);
	if (r <= 0)
		return r == 0 ? -ENOEXEC : r;
	if (stat(busybox, &st) < 0)
		return negerrno();
	ts[0] = ts[1] = (struct timespec){st.st_mtim.tv_sec, 0};
	r = layer_tmp_create(p, &t);
	if (r < 0)
		return r;
	r = populate_busybox_layer(t.path, busybox);
	if (r == 0)
		r = set_times(openat(t.dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), ts, 0);
	if (r == 0)
		r = layer_tar_stream(t.dirfd, -1, digest, NULL);
	if (r < 0)
		goto out;
	lock = layer_store_lock(p);
	if (lock < 0) {
		r = lock;
		goto out;
	}
	r = layer_tmp_publish(p, &t, digest, id, &created);
	if (r == 0) {
		r = image_create(p, IMAGE_DEFAULT, &img);
		if (r == -EEXIST)
			r = 0; /* built meanwhile by someone else: theirs is as good */
		if (r < 0 && created)
			layer_remove(p, id);
	}
out:
	layer_tmp_discard(&t);
	return r;
}
