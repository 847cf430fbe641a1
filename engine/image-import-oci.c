/* The manifests and configs of `docker save` archives and OCI image layouts, read into an
 * import plan: which member holds each layer, what its digests must be, the default config. */
#include "image-import-internal.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cleanup.h"
#include "errmsg.h"
#include "jsonutil.h"

#define MAX_LAYERS 128 /* overlay takes at most ~500 lowerdirs; a mount page far fewer */

static int read_json(struct import_files *f, const char *member, json_object **ret, char *err,
		     size_t errsize)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = f->get(f, member, &text, &len);

	if (r < 0)
		return errmsg_set(err, errsize, r == -ENOENT ? -EINVAL : r,
				  "The image has no readable %s (%s)", member, strerror(-r));
	*ret = json_tokener_parse(text);
	if (!*ret)
		return errmsg_set(err, errsize, -EINVAL, "The image's %s is not valid JSON",
				  member);
	return 0;
}

static json_object *get(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* "sha256:HEX" -> HEX. */
static int parse_digest(const char *digest, char ret_hex[LAYER_ID_LEN + 1])
{
	if (!digest || strncmp(digest, "sha256:", 7) || !layer_id_is_valid(digest + 7))
		return -EINVAL;
	memcpy(ret_hex, digest + 7, LAYER_ID_LEN + 1);
	return 0;
}

static int add_layer(struct import_plan *plan, const char *member, const char *blob_digest)
{
	struct import_layer *n, *l;

	if (plan->nlayers >= MAX_LAYERS)
		return -E2BIG;
	n = realloc(plan->layers, (plan->nlayers + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	plan->layers = n;
	l = &n[plan->nlayers];
	*l = (struct import_layer){.same_as = -1, .tmp = {.dirfd = -EBADF}};
	l->member = strdup(member);
	if (!l->member)
		return -ENOMEM;
	snprintf(l->blob_digest, sizeof(l->blob_digest), "%s", blob_digest ?: "");
	for (size_t i = 0; i < plan->nlayers; i++)
		if (!strcmp(n[i].member, member)) {
			l->same_as = (int) i;
			break;
		}
	plan->nlayers++;
	return 0;
}

static int strv_dup(json_object *a, char ***ret, json_object *b)
{
	size_t na = a ? json_object_array_length(a) : 0, nb = b ? json_object_array_length(b) : 0;
	char **v = calloc(na + nb + 1, sizeof(char *));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < na + nb; i++) {
		json_object *s = i < na ? json_object_array_get_idx(a, i)
					: json_object_array_get_idx(b, i - na);
		v[i] = strdup(json_object_get_string(s) ?: "");
		if (!v[i]) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

/* The default command is Entrypoint followed by Cmd: the container model has one command. */
static int apply_config(struct import_files *f, const char *member, struct import_plan *plan,
			char *err, size_t errsize)
{
	_cleanup_(json_putp) json_object *o = NULL;
	json_object *c, *ids, *wd;
	int r = read_json(f, member, &o, err, errsize);

	if (r < 0)
		return r;
	c = get(o, "config", json_type_object);
	r = strv_dup(get(c, "Entrypoint", json_type_array), &plan->cmd,
		     get(c, "Cmd", json_type_array));
	if (r == 0)
		r = strv_dup(get(c, "Env", json_type_array), &plan->env, NULL);
	if (r < 0)
		return r;
	wd = get(c, "WorkingDir", json_type_string);
	plan->workdir =
		strdup(wd && json_object_get_string(wd)[0] ? json_object_get_string(wd) : "/");
	if (!plan->workdir)
		return -ENOMEM;
	ids = get(get(o, "rootfs", json_type_object), "diff_ids", json_type_array);
	if (ids && json_object_array_length(ids) != plan->nlayers)
		return errmsg_set(err, errsize, -EINVAL,
				  "The image config lists %zu layers, its manifest %zu",
				  json_object_array_length(ids), plan->nlayers);
	for (size_t i = 0; ids && i < plan->nlayers; i++)
		if (parse_digest(json_object_get_string(json_object_array_get_idx(ids, i)),
				 plan->layers[i].diff_id) < 0)
			return errmsg_set(err, errsize, -EINVAL,
					  "The image config has a bad diff_id");
	return 0;
}

int import_plan_docker(struct import_files *f, struct import_plan *plan, char *err, size_t errsize)
{
	_cleanup_(json_putp) json_object *o = NULL;
	json_object *img, *layers, *config;
	int r = read_json(f, "manifest.json", &o, err, errsize);

	if (r < 0)
		return r;
	img = json_object_is_type(o, json_type_array) && json_object_array_length(o) > 0
		      ? json_object_array_get_idx(o, 0)
		      : NULL;
	layers = get(img, "Layers", json_type_array);
	config = get(img, "Config", json_type_string);
	if (!layers || !config || json_object_array_length(layers) == 0)
		return errmsg_set(err, errsize, -EINVAL,
				  "manifest.json does not describe an image (Config, Layers)");
	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		const char *m = json_object_get_string(json_object_array_get_idx(layers, i));

		r = add_layer(plan, m ?: "", NULL);
		if (r < 0)
			return errmsg_set(err, errsize, r == -E2BIG ? -EINVAL : r,
					  "The image has more than %d layers", MAX_LAYERS);
	}
	return apply_config(f, json_object_get_string(config), plan, err, errsize);
}

static const char *host_arch(void)
{
	static const char *const map[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"armv7l", "arm"}, {"i686", "386"}};
	static struct utsname u;

	if (uname(&u) < 0)
		return "amd64";
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(u.machine, map[i][0]))
			return map[i][1];
	return u.machine;
}

/* The manifest for this host in an index: one with a matching platform, else the first. */
static json_object *pick_manifest(json_object *index)
{
	json_object *ms = get(index, "manifests", json_type_array);
	size_t n = ms ? json_object_array_length(ms) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *pl =
			get(json_object_array_get_idx(ms, i), "platform", json_type_object);
		json_object *arch = get(pl, "architecture", json_type_string);

		if (arch && !strcmp(json_object_get_string(arch), host_arch()))
			return json_object_array_get_idx(ms, i);
	}
	return n ? json_object_array_get_idx(ms, 0) : NULL;
}

static int blob_member(const char *digest, char *buf, size_t size, char ret_hex[65])
{
	if (parse_digest(digest, ret_hex) < 0)
		return -EINVAL;
	snprintf(buf, size, "blobs/sha256/%s", ret_hex);
	return 0;
}

int import_plan_oci(struct import_files *f, struct import_plan *plan, char *err, size_t errsize)
{
	_cleanup_(json_putp) json_object *index = NULL;
	_cleanup_(json_putp) json_object *man = NULL;
	char member[128], hex[LAYER_ID_LEN + 1];
	json_object *desc, *layers;
	int r = read_json(f, "index.json", &index, err, errsize);

	if (r < 0)
		return r;
	/* An index may point to another index (a multi-platform image): follow two levels. */
	for (int depth = 0;; depth++) {
		desc = pick_manifest(man ?: index);
		if (!desc ||
		    blob_member(json_object_get_string(get(desc, "digest", json_type_string)),
				member, sizeof(member), hex) < 0)
			return errmsg_set(err, errsize, -EINVAL, "The OCI index names no manifest");
		if (man)
			json_object_put(TAKE_PTR(man));
		r = read_json(f, member, &man, err, errsize);
		if (r < 0)
			return r;
		if (!get(man, "manifests", json_type_array) || depth >= 2)
			break;
	}
	layers = get(man, "layers", json_type_array);
	desc = get(man, "config", json_type_object);
	if (!layers || !desc || json_object_array_length(layers) == 0)
		return errmsg_set(err, errsize, -EINVAL,
				  "The OCI manifest has no config or no layers");
	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		json_object *l = json_object_array_get_idx(layers, i);

		if (blob_member(json_object_get_string(get(l, "digest", json_type_string)), member,
				sizeof(member), hex) < 0)
			return errmsg_set(err, errsize, -EINVAL,
					  "The OCI manifest has a bad layer digest");
		r = add_layer(plan, member, hex);
		if (r < 0)
			return errmsg_set(err, errsize, r == -E2BIG ? -EINVAL : r,
					  "The image has more than %d layers", MAX_LAYERS);
	}
	if (blob_member(json_object_get_string(get(desc, "digest", json_type_string)), member,
			sizeof(member), hex) < 0)
		return errmsg_set(err, errsize, -EINVAL,
				  "The OCI manifest has a bad config digest");
	return apply_config(f, member, plan, err, errsize);
}

void import_plan_clear(struct import_plan *plan)
{
	for (size_t i = 0; i < plan->nlayers; i++) {
		layer_tmp_discard(&plan->layers[i].tmp);
		free(plan->layers[i].member);
	}
	free(plan->layers);
	for (char **s = plan->cmd; s && *s; s++)
		free(*s);
	free(plan->cmd);
	for (char **s = plan->env; s && *s; s++)
		free(*s);
	free(plan->env);
	free(plan->workdir);
	*plan = (struct import_plan){0};
}
