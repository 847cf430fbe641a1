#include "image.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "cleanup.h"
#include "fileio.h"
#include "strutil.h"

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **a = v; *a; a++)
		free(*a);
	free(v);
}

void image_clear(struct image *img)
{
	strv_free(img->layers);
	strv_free(img->cmd);
	strv_free(img->env);
	free(img->workdir);
	*img = (struct image){ 0 };
}

bool image_exists(const struct engine_paths *p, const char *name)
{
	char path[PATH_MAX];

	return paths_image(p, name, "image.json", path, sizeof(path)) == 0 &&
	       access(path, F_OK) == 0;
}

static int strv_from(json_object *o, const char *key, char ***ret)
{
	json_object *a;
	size_t n;
	char **v;

	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		n = 0;
	else
		n = json_object_array_length(a);
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(json_object_get_string(json_object_array_get_idx(a, i)) ?: "");
		if (!v[i]) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

int image_load(const struct engine_paths *p, const char *name, struct image *ret_img)
{
	_cleanup_free_ char *text = NULL;
	struct image img = { 0 };
	char path[PATH_MAX];
	json_object *o, *w;
	int r;

	r = paths_image(p, name, "image.json", path, sizeof(path));
	if (r < 0)
		return r;
	r = fileio_read_all(path, 1024 * 1024, &text, NULL);
	if (r < 0)
		return r;
	o = json_tokener_parse(text);
	if (!o)
		return -EINVAL;
	r = strv_from(o, "layers", &img.layers);
	if (r == 0)
		r = strv_from(o, "cmd", &img.cmd);
	if (r == 0)
		r = strv_from(o, "env", &img.env);
	if (r == 0) {
		const char *wd = json_object_object_get_ex(o, "workdir", &w)
					 ? json_object_get_string(w)
					 : NULL;
		img.workdir = strdup(wd && *wd ? wd : "/");
		if (!img.workdir)
			r = -ENOMEM;
	}
	json_object_put(o);
	if (r == 0 && !img.layers[0])
		r = -EINVAL; /* an image without layers is corrupt */
	if (r < 0) {
		image_clear(&img);
		return r;
	}
	*ret_img = img;
	return 0;
}

int image_lowerdir(const struct engine_paths *p, const struct image *img, char *buf, size_t size)
{
	size_t n = 0, used = 0;

	while (img->layers[n])
		n++;
	buf[0] = '\0';
	for (size_t i = n; i-- > 0;) {
		char layer[PATH_MAX];
		int r = paths_layer(p, img->layers[i], layer, sizeof(layer));
		int w;

		if (r < 0)
			return r;
		w = snprintf(buf + used, size - used, "%s%s", used ? ":" : "", layer);
		if (w < 0 || (size_t) w >= size - used)
			return -ENAMETOOLONG;
		used += (size_t) w;
	}
	return 0;
}

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
	if (fd < 0)
		return negerrno();
	return fileio_write_full(fd, text, strlen(text));
}

static int populate_busybox_layer(const char *root, const char *busybox)
{
	static const struct {
		const char *path;
		mode_t mode;
	} dirs[] = {
		{ "bin", 0755 },  { "sbin", 0755 },    { "usr", 0755 },	 { "usr/bin", 0755 },
		{ "usr/sbin", 0755 }, { "etc", 0755 },	 { "tmp", 01777 }, { "proc", 0555 },
		{ "sys", 0555 },  { "dev", 0755 },     { "root", 0700 }, { "home", 0755 },
		{ "var", 0755 },  { "var/tmp", 01777 }, { "run", 0755 },	 { "mnt", 0755 },
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

static int write_image_json(const char *path, const char *layer_id)
{
	json_object *o = json_object_new_object();
	json_object *layers = json_object_new_array();
	json_object *cmd = json_object_new_array();
	struct timespec now;
	const char *text;
	int r;

	clock_gettime(CLOCK_REALTIME, &now);
	json_object_array_add(layers, json_object_new_string(layer_id));
	json_object_array_add(cmd, json_object_new_string("sh"));
	json_object_object_add(o, "layers", layers);
	json_object_object_add(o, "cmd", cmd);
	json_object_object_add(o, "env", json_object_new_array());
	json_object_object_add(o, "workdir", json_object_new_string("/"));
	json_object_object_add(o, "created", json_object_new_int64(now.tv_sec));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	r = fileio_write_atomic(path, text, strlen(text), true);
	json_object_put(o);
	return r;
}

int image_ensure_busybox(const struct engine_paths *p, const char *busybox)
{
	char id[65], layer[PATH_MAX], tmp_layer[PATH_MAX], img_dir[PATH_MAX], tmp_img[PATH_MAX];
	char json[PATH_MAX + 16];
	int r;

	if (image_exists(p, IMAGE_DEFAULT))
		return 0;
	r = elf_is_static(busybox);
	if (r <= 0)
		return r == 0 ? -ENOEXEC : r;
	r = str_random_id(id);
	if (r < 0)
		return r;
	paths_layer(p, id, layer, sizeof(layer));
	snprintf(tmp_layer, sizeof(tmp_layer), "%s/layers/.tmp-%s", p->data_dir, id);
	paths_image(p, IMAGE_DEFAULT, NULL, img_dir, sizeof(img_dir));
	snprintf(tmp_img, sizeof(tmp_img), "%s/images/.tmp-%s", p->data_dir, id);

	if (mkdir(tmp_layer, 0755) < 0)
		return negerrno();
	r = populate_busybox_layer(tmp_layer, busybox);
	if (r == 0 && rename(tmp_layer, layer) < 0)
		r = negerrno();
	if (r < 0)
		goto undo_layer;
	if (mkdir(tmp_img, 0755) < 0) {
		r = negerrno();
		goto undo_layer;
	}
	snprintf(json, sizeof(json), "%s/image.json", tmp_img);
	r = write_image_json(json, id);
	if (r == 0 && rename(tmp_img, img_dir) < 0)
		r = negerrno();
	if (r == 0)
		return 0;
	fileio_remove_tree(tmp_img);
undo_layer:
	fileio_remove_tree(tmp_layer);
	fileio_remove_tree(layer);
	return r;
}
