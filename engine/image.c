#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "fileio.h"
#include "layer-store.h"
#include "names.h"
#include "strutil.h"

void image_strv_free(char **v)
{
	if (!v)
		return;
	for (char **a = v; *a; a++)
		free(*a);
	free(v);
}

void image_names_free(char **names)
{
	image_strv_free(names);
}

void image_clear(struct image *img)
{
	image_strv_free(img->layers);
	image_strv_free(img->cmd);
	image_strv_free(img->env);
	free(img->workdir);
	*img = (struct image){0};
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
			image_strv_free(v);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

static int64_t int_from(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

int image_load(const struct engine_paths *p, const char *name, struct image *ret_img)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_(json_putp) json_object *o = NULL;
	struct image img = {0};
	char path[PATH_MAX];
	json_object *w;
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
	img.created = int_from(o, "created");
	img.size = (uint64_t) int_from(o, "size");
	if (r == 0 && !img.layers[0])
		r = -EINVAL; /* an image without layers is corrupt */
	/* Layer ids become paths: anything but a digest is corruption, never a path. */
	for (char **l = img.layers; r == 0 && *l; l++)
		if (!layer_id_is_valid(*l))
			r = -EINVAL;
	if (r < 0) {
		image_clear(&img);
		return r;
	}
	*ret_img = img;
	return 0;
}

static int layers_size(const struct engine_paths *p, char *const *layers, uint64_t *ret)
{
	uint64_t total = 0;

	for (char *const *l = layers; *l; l++) {
		_cleanup_close_ int fd = layer_open(p, *l);
		uint64_t n;
		int r;

		if (fd < 0)
			return fd;
		r = layer_disk_usage(fd, &n);
		if (r < 0)
			return r;
		total += n;
	}
	*ret = total;
	return 0;
}

int image_info(const struct engine_paths *p, const char *name, struct image *ret_img)
{
	struct image img;
	int r = image_load(p, name, &img);

	if (r < 0)
		return r;
	if (img.size == 0 && layers_size(p, img.layers, &img.size) < 0)
		img.size = 0;
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

static json_object *strv_json(char *const *v)
{
	json_object *a = json_object_new_array();

	for (; v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

/* Write TEXT as DATA_DIR/images/NAME/image.json: built in images/.tmp-*, then renamed with
 * RENAME_NOREPLACE so an existing image is never replaced. */
static int image_write(const struct engine_paths *p, const char *name, const char *text)
{
	char tmp[PATH_MAX], json[PATH_MAX + 16], dst[PATH_MAX], rnd[65];
	int r;

	if (!name_is_valid(name))
		return -EINVAL;
	r = str_random_id(rnd);
	if (r < 0)
		return r;
	rnd[16] = '\0';
	snprintf(tmp, sizeof(tmp), "%s/images/.tmp-%s", p->data_dir, rnd);
	r = paths_image(p, name, NULL, dst, sizeof(dst));
	if (r < 0)
		return r;
	if (mkdir(tmp, 0755) < 0)
		return negerrno();
	snprintf(json, sizeof(json), "%s/image.json", tmp);
	r = fileio_write_atomic(json, text, strlen(text), true);
	if (r == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) < 0)
		r = errno == ENOTEMPTY ? -EEXIST : negerrno();
	if (r < 0)
		fileio_remove_tree(tmp);
	return r;
}

int image_create(const struct engine_paths *p, const char *name, const struct image *img)
{
	_cleanup_(json_putp) json_object *o = json_object_new_object();
	struct timespec now;
	uint64_t size = 0;
	int r;

	if (!name_is_valid(name))
		return -EINVAL;
	if (image_exists(p, name))
		return -EEXIST;
	r = layers_size(p, img->layers, &size);
	if (r < 0)
		return r;
	clock_gettime(CLOCK_REALTIME, &now);
	json_object_object_add(o, "layers", strv_json(img->layers));
	json_object_object_add(o, "cmd", strv_json(img->cmd));
	json_object_object_add(o, "env", strv_json(img->env));
	json_object_object_add(
		o, "workdir",
		json_object_new_string(img->workdir && *img->workdir ? img->workdir : "/"));
	json_object_object_add(o, "created", json_object_new_int64(now.tv_sec));
	json_object_object_add(o, "size", json_object_new_int64((int64_t) size));
	return image_write(p, name, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

int image_list(const struct engine_paths *p, char ***ret_names)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;
	char **v = calloc(1, sizeof(char *));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	snprintf(dir, sizeof(dir), "%s/images", p->data_dir);
	d = opendir(dir);
	if (!d) {
		free(v);
		return negerrno();
	}
	while ((de = readdir(d))) {
		char **nv;

		if (de->d_name[0] == '.' || !image_exists(p, de->d_name))
			continue;
		nv = realloc(v, (n + 2) * sizeof(char *));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			v = nv ?: v;
			closedir(d);
			image_strv_free(v);
			return -ENOMEM;
		}
		v = nv;
		v[++n] = NULL;
	}
	closedir(d);
	qsort(v, n, sizeof(char *), cmp_str);
	*ret_names = v;
	return 0;
}

int image_tag(const struct engine_paths *p, const char *name, const char *newname)
{
	_cleanup_close_ int lock = -EBADF;
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	int r;

	if (!name_is_valid(newname))
		return -EINVAL;
	lock = layer_store_lock(p);
	if (lock < 0)
		return lock;
	r = paths_image(p, name, "image.json", path, sizeof(path));
	if (r == 0)
		r = fileio_read_all(path, 1024 * 1024, &text, NULL);
	if (r < 0)
		return r;
	return image_write(p, newname, text);
}

/* True if any image other than SKIP names layer ID. */
static bool layer_in_use(const struct engine_paths *p, char **names, const char *skip,
			 const char *id)
{
	for (char **n = names; *n; n++) {
		struct image img;
		bool used = false;

		if (skip && !strcmp(*n, skip))
			continue;
		if (image_load(p, *n, &img) < 0)
			return true; /* unreadable: keep what it might use */
		for (char **l = img.layers; *l && !used; l++)
			used = !strcmp(*l, id);
		image_clear(&img);
		if (used)
			return true;
	}
	return false;
}

int image_delete(const struct engine_paths *p, const char *name)
{
	_cleanup_close_ int lock = -EBADF;
	char dir[PATH_MAX], tomb[PATH_MAX], rnd[65];
	char **names = NULL;
	struct image img;
	int r;

	if (!name_is_valid(name))
		return -ENOENT;
	lock = layer_store_lock(p);
	if (lock < 0)
		return lock;
	r = image_load(p, name, &img);
	if (r < 0)
		return r;
	r = str_random_id(rnd);
	if (r < 0)
		goto out;
	rnd[16] = '\0';
	paths_image(p, name, NULL, dir, sizeof(dir));
	snprintf(tomb, sizeof(tomb), "%s/images/.tmp-del-%s", p->data_dir, rnd);
	if (rename(dir, tomb) < 0) {
		r = negerrno();
		goto out;
	}
	fileio_remove_tree(tomb);
	/* The image is gone; a layer left behind from here on is only wasted space. */
	if (image_list(p, &names) == 0)
		for (char **l = img.layers; *l; l++)
			if (!layer_in_use(p, names, NULL, *l))
				layer_remove(p, *l);
	image_names_free(names);
out:
	image_clear(&img);
	return r;
}

static void remove_tmp_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, ".tmp-", 5)) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			fileio_remove_tree(path);
		}
	closedir(d);
}

int image_gc(const struct engine_paths *p)
{
	_cleanup_close_ int lock = layer_store_lock(p);
	char dir[PATH_MAX], id[LAYER_ID_LEN + 1];
	char **names = NULL;
	struct dirent *de;
	DIR *d;
	int r;

	if (lock < 0)
		return lock;
	snprintf(dir, sizeof(dir), "%s/images", p->data_dir);
	remove_tmp_entries(dir);
	snprintf(dir, sizeof(dir), "%s/layers", p->data_dir);
	remove_tmp_entries(dir);
	r = image_list(p, &names);
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d) {
		image_names_free(names);
		return negerrno();
	}
	while ((de = readdir(d))) {
		if (!layer_id_is_valid(de->d_name))
			continue;
		if (de->d_type == DT_LNK) {
			if (layer_resolve(p, de->d_name, id) == -ENOENT)
				unlinkat(dirfd(d), de->d_name, 0);
		} else if (!layer_in_use(p, names, NULL, de->d_name)) {
			layer_remove(p, de->d_name);
		}
	}
	closedir(d);
	image_names_free(names);
	return 0;
}
