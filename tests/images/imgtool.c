/* A command-line front to the image store for the tests and benchmarks: each verb calls one
 * engine function on DATA_DIR and prints its errno name and sentence on failure, so a test
 * asserts the exact error a user of images/ctl would get.
 *
 *   imgtool DATA_DIR import NAME PATH | export NAME OUT | tag NAME NEW | delete NAME | gc |
 *           info NAME | list | commit UPPER BASE NEW [--cmd C].. [--env E].. [--workdir W]
 *           [--exclude P].. | busybox PATH */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "image-commit.h"
#include "image-export.h"
#include "image-import.h"
#include "image.h"

static void print_strv(const char *key, char **v)
{
	printf("%s:", key);
	for (; v && *v; v++)
		printf(" %s", *v);
	printf("\n");
}

static int info(const struct engine_paths *p, const char *name)
{
	struct image img;
	int r = image_info(p, name, &img);

	if (r < 0)
		return r;
	for (char **l = img.layers; *l; l++)
		printf("layer: sha256:%s\n", *l);
	print_strv("cmd", img.cmd);
	print_strv("env", img.env);
	printf("workdir: %s\ncreated: %lld\nsize: %llu\n", img.workdir, (long long) img.created,
	       (unsigned long long) img.size);
	image_clear(&img);
	return 0;
}

static int commit(const struct engine_paths *p, int argc, char **argv, char *err, size_t errsize)
{
	char *cmd[16] = {0}, *env[16] = {0}, *excl[16] = {0};
	size_t nc = 0, ne = 0, nx = 0;
	struct image_commit_config cfg = {0};

	if (argc < 3)
		return -EINVAL;
	for (int i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--cmd") && nc < 15)
			cmd[nc++] = argv[i + 1];
		else if (!strcmp(argv[i], "--env") && ne < 15)
			env[ne++] = argv[i + 1];
		else if (!strcmp(argv[i], "--exclude") && nx < 15)
			excl[nx++] = argv[i + 1];
		else if (!strcmp(argv[i], "--workdir"))
			cfg.workdir = argv[i + 1];
	}
	cfg.cmd = nc ? cmd : NULL;
	cfg.env = ne ? env : NULL;
	cfg.exclude_paths = excl;
	return image_commit(p, argv[0], argv[1], argv[2], &cfg, err, errsize);
}

int main(int argc, char **argv)
{
	struct engine_paths p = {0};
	char err[1024] = "";
	const char *verb;
	int r = -EINVAL;

	if (argc < 3) {
		fprintf(stderr, "usage: imgtool DATA_DIR VERB ARGS...\n");
		return 2;
	}
	snprintf(p.data_dir, sizeof(p.data_dir), "%s", argv[1]);
	snprintf(p.state_dir, sizeof(p.state_dir), "%s/run", argv[1]);
	fileio_mkdir_p(p.data_dir, 0755);
	for (const char *sub[] = {"images", "layers"}, **s = sub; s < sub + 2; s++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/%s", p.data_dir, *s);
		fileio_mkdir_p(path, 0700);
	}
	verb = argv[2];
	argc -= 3;
	argv += 3;
	if (!strcmp(verb, "import") && argc == 2) {
		r = image_import(&p, argv[0], argv[1], err, sizeof(err));
	} else if (!strcmp(verb, "export") && argc == 2) {
		int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		r = fd < 0 ? -errno : image_export(&p, argv[0], fd, err, sizeof(err));
		if (fd >= 0)
			close(fd);
	} else if (!strcmp(verb, "tag") && argc == 2) {
		r = image_tag(&p, argv[0], argv[1]);
	} else if (!strcmp(verb, "delete") && argc == 1) {
		r = image_delete(&p, argv[0]);
	} else if (!strcmp(verb, "gc") && argc == 0) {
		r = image_gc(&p);
	} else if (!strcmp(verb, "info") && argc == 1) {
		r = info(&p, argv[0]);
	} else if (!strcmp(verb, "list") && argc == 0) {
		char **names;
		r = image_list(&p, &names);
		for (char **n = names; r == 0 && *n; n++)
			printf("%s\n", *n);
		if (r == 0)
			image_names_free(names);
	} else if (!strcmp(verb, "commit")) {
		r = commit(&p, argc, argv, err, sizeof(err));
	} else if (!strcmp(verb, "busybox") && argc == 1) {
		r = image_ensure_busybox(&p, argv[0]);
	}
	if (r < 0) {
		printf("error: %s: %s\n", strerrorname_np(-r) ?: "?", err[0] ? err : strerror(-r));
		return 1;
	}
	return 0;
}
