/* image_export(): the image as a `docker save` + OCI layout tar (the layout Docker 25 writes),
 * one canonical uncompressed tar per layer. */
#include "image-export.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "cleanup.h"
#include "errmsg.h"
#include "jsonutil.h"
#include "image.h"
#include "layer-store.h"
#include "layer-tar.h"
#include "strutil.h"

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"

static int archive_err(struct archive *a)
{
	int e = archive_errno(a);

	return e > 0 ? -e : -EIO;
}

static int write_header(struct archive *a, const char *name, mode_t mode, int64_t size)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, mode);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, 0, 0); /* the same image exports to the same bytes */
	r = archive_write_header(a, e) == ARCHIVE_OK ? 0 : archive_err(a);
	archive_entry_free(e);
	return r;
}

static int write_file(struct archive *a, const char *name, const char *data, size_t len)
{
	int r = write_header(a, name, S_IFREG | 0444, (int64_t) len);

	if (r == 0 && len && archive_write_data(a, data, len) != (la_ssize_t) len)
		r = archive_err(a);
	return r;
}

/* A JSON document as the blob blobs/sha256/DIGEST; gives its digest and size. */
static int write_blob(struct archive *a, json_object *o, char digest[LAYER_ID_LEN + 1],
		      size_t *ret_size)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text);
	struct layer_hash h;
	char name[128];
	int r = layer_hash_init(&h);

	if (r < 0)
		return r;
	layer_hash_update(&h, text, len);
	r = layer_hash_final(&h, digest);
	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest);
	*ret_size = len;
	return write_file(a, name, text, len);
}

/* Make the layer's canonical tar in an unnamed temporary file (its size must be known before
 * its header is written), then copy it into the archive. */
static int write_layer(const struct engine_paths *p, struct archive *a, const char *id,
		       char digest[LAYER_ID_LEN + 1], uint64_t *ret_size)
{
	_cleanup_close_ int dfd = layer_open(p, id), tmp = -EBADF;
	char dir[PATH_MAX], name[128], buf[128 * 1024];
	uint64_t size;
	ssize_t n;
	int r;

	if (dfd < 0)
		return dfd;
	snprintf(dir, sizeof(dir), "%s/layers", p->data_dir);
	tmp = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (tmp < 0)
		return negerrno();
	r = layer_tar_stream(dfd, tmp, digest, &size);
	if (r < 0)
		return r;
	/* Imported layers are named by the tar they came in; record that this one is them too. */
	layer_alias_add(p, digest, id);
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest);
	r = write_header(a, name, S_IFREG | 0444, (int64_t) size);
	if (r < 0)
		return r;
	if (lseek(tmp, 0, SEEK_SET) < 0)
		return negerrno();
	while ((n = read(tmp, buf, sizeof(buf))) > 0)
		if (archive_write_data(a, buf, (size_t) n) != n)
			return archive_err(a);
	*ret_size = size;
	return n < 0 ? negerrno() : 0;
}

static json_object *strv_json(char **v)
{
	json_object *a = json_object_new_array();

	for (; v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static json_object *descriptor(const char *mt, const char *digest, size_t size)
{
	json_object *d = json_object_new_object();
	char dg[80];

	snprintf(dg, sizeof(dg), "sha256:%s", digest);
	json_object_object_add(d, "mediaType", json_object_new_string(mt));
	json_object_object_add(d, "digest", json_object_new_string(dg));
	json_object_object_add(d, "size", json_object_new_int64((int64_t) size));
	return d;
}

static const char *arch(void)
{
	static struct utsname u;

	if (uname(&u) < 0 || !strcmp(u.machine, "x86_64"))
		return "amd64";
	return !strcmp(u.machine, "aarch64") ? "arm64" : u.machine;
}

/* Docker references are lowercase: a name that is not one is exported without a tag. */
static bool docker_name(const char *name)
{
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("._-", *c)))
			return false;
	return true;
}

static json_object *make_config(const struct image *img, char (*digests)[LAYER_ID_LEN + 1],
				size_t n)
{
	json_object *o = json_object_new_object(), *c = json_object_new_object();
	json_object *rootfs = json_object_new_object(), *ids = json_object_new_array();
	json_object *history = json_object_new_array();
	struct timespec ts = {img->created, 0};
	char created[64], dg[80];

	if (str_rfc3339(&ts, created, sizeof(created)) < 0)
		snprintf(created, sizeof(created), "1970-01-01T00:00:00Z");
	json_object_object_add(c, "Cmd", strv_json(img->cmd));
	json_object_object_add(c, "Env", strv_json(img->env));
	json_object_object_add(c, "WorkingDir", json_object_new_string(img->workdir));
	for (size_t i = 0; i < n; i++) {
		json_object *h = json_object_new_object();

		snprintf(dg, sizeof(dg), "sha256:%s", digests[i]);
		json_object_array_add(ids, json_object_new_string(dg));
		json_object_object_add(h, "created", json_object_new_string(created));
		json_object_object_add(h, "created_by", json_object_new_string("ctrfs"));
		json_object_array_add(history, h);
	}
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "diff_ids", ids);
	json_object_object_add(o, "architecture", json_object_new_string(arch()));
	json_object_object_add(o, "os", json_object_new_string("linux"));
	json_object_object_add(o, "created", json_object_new_string(created));
	json_object_object_add(o, "config", c);
	json_object_object_add(o, "rootfs", rootfs);
	json_object_object_add(o, "history", history);
	return o;
}

static int write_image(const struct engine_paths *p, struct archive *a, const char *name,
		       const struct image *img, char *err, size_t errsize)
{
	size_t n = 0, cfg_size, man_size;
	char cfg[LAYER_ID_LEN + 1], man[LAYER_ID_LEN + 1], ref[256], path[128];
	_cleanup_free_ char(*digests)[LAYER_ID_LEN + 1] = NULL;
	_cleanup_(json_putp) json_object *config = NULL, *manifest = NULL, *index = NULL,
					 *docker = NULL;
	json_object *layers, *d, *entry, *paths;
	int r;

	while (img->layers[n])
		n++;
	digests = calloc(n, sizeof(*digests));
	if (!digests)
		return -ENOMEM;
	manifest = json_object_new_object();
	layers = json_object_new_array();
	paths = json_object_new_array();
	r = write_header(a, "blobs", S_IFDIR | 0755, 0);
	if (r == 0)
		r = write_header(a, "blobs/sha256", S_IFDIR | 0755, 0);
	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t size = 0;
		bool dup = false;

		for (size_t j = 0; j < i && !dup; j++)
			if (!strcmp(img->layers[i], img->layers[j])) {
				memcpy(digests[i], digests[j], sizeof(digests[i]));
				dup = true;
			}
		r = dup ? 0 : write_layer(p, a, img->layers[i], digests[i], &size);
		if (r < 0)
			return errmsg_set(err, errsize, r, "Cannot export layer %s: %s",
					  img->layers[i], strerror(-r));
		json_object_array_add(layers, descriptor(MT_LAYER, digests[i], size));
		snprintf(path, sizeof(path), "blobs/sha256/%s", digests[i]);
		json_object_array_add(paths, json_object_new_string(path));
	}
	if (r < 0)
		return r;
	config = make_config(img, digests, n);
	r = write_blob(a, config, cfg, &cfg_size);
	if (r < 0)
		return r;
	json_object_object_add(manifest, "schemaVersion", json_object_new_int(2));
	json_object_object_add(manifest, "mediaType", json_object_new_string(MT_MANIFEST));
	json_object_object_add(manifest, "config", descriptor(MT_CONFIG, cfg, cfg_size));
	json_object_object_add(manifest, "layers", layers);
	r = write_blob(a, manifest, man, &man_size);
	if (r < 0)
		return r;

	index = json_object_new_object();
	d = descriptor(MT_MANIFEST, man, man_size);
	if (docker_name(name)) {
		json_object *ann = json_object_new_object();

		snprintf(ref, sizeof(ref), "docker.io/library/%s:latest", name);
		json_object_object_add(ann, "io.containerd.image.name",
				       json_object_new_string(ref));
		json_object_object_add(ann, "org.opencontainers.image.ref.name",
				       json_object_new_string("latest"));
		json_object_object_add(d, "annotations", ann);
	}
	json_object_object_add(index, "schemaVersion", json_object_new_int(2));
	json_object_object_add(index, "mediaType",
			       json_object_new_string("application/vnd.oci.image.index.v1+json"));
	json_object_object_add(index, "manifests", json_object_new_array());
	json_object_array_add(json_object_object_get(index, "manifests"), d);

	docker = json_object_new_array();
	entry = json_object_new_object();
	snprintf(path, sizeof(path), "blobs/sha256/%s", cfg);
	json_object_object_add(entry, "Config", json_object_new_string(path));
	json_object_object_add(entry, "RepoTags", json_object_new_array());
	if (docker_name(name)) {
		snprintf(ref, sizeof(ref), "%s:latest", name);
		json_object_array_add(json_object_object_get(entry, "RepoTags"),
				      json_object_new_string(ref));
	}
	json_object_object_add(entry, "Layers", paths);
	json_object_array_add(docker, entry);

	{
		static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
		const char *t;

		t = json_object_to_json_string_ext(index, JSON_C_TO_STRING_PLAIN);
		r = write_file(a, "index.json", t, strlen(t));
		t = json_object_to_json_string_ext(docker, JSON_C_TO_STRING_PLAIN);
		if (r == 0)
			r = write_file(a, "manifest.json", t, strlen(t));
		if (r == 0)
			r = write_file(a, "oci-layout", layout, strlen(layout));
	}
	return r;
}

int image_export(const struct engine_paths *p, const char *name, int out_fd, char *err,
		 size_t errsize)
{
	struct archive *a;
	struct image img;
	int r;

	if (errsize)
		err[0] = '\0';
	r = image_load(p, name, &img);
	if (r < 0)
		return errmsg_set(err, errsize, r, "Cannot load the image %s: %s", name,
				  strerror(-r));
	a = archive_write_new();
	if (!a) {
		image_clear(&img);
		return -ENOMEM;
	}
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
		r = archive_err(a);
	if (r == 0)
		r = write_image(p, a, name, &img, err, errsize);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = archive_err(a);
	archive_write_free(a);
	image_clear(&img);
	if (r < 0)
		errmsg_set(err, errsize, r, "Cannot export the image %s: %s", name, strerror(-r));
	return r;
}
