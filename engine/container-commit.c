/* commit: a container's writable layer becomes a new image. The copy runs without the engine
 * lock (it may take seconds); the container is frozen around it if it runs, and cannot be
 * started, removed or committed again meanwhile. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "engine-internal.h"
#include "image-commit.h"
#include "image.h"
#include "names.h"
#include "strv.h"

struct commit_job {
	struct engine *e;
	uint64_t slot;
	char image[NAME_MAX_LEN + 1];
	char base[NAME_MAX_LEN + 1];
	char upper[PATH_MAX];
	char **cmd, **env, *workdir, **volumes;
	bool thaw;
};

int container_commit_start(struct engine *e, struct container *c, const char *image,
			   struct commit_job **ret)
{
	struct commit_job *j;

	if (!name_is_valid(image)) {
		container_set_error(c, "Bad image name \"%.80s\"", image);
		return -EINVAL;
	}
	if (image_exists(&e->paths, image)) {
		container_set_error(c, "Image %s exists already", image);
		return -EEXIST;
	}
	if (c->starting || c->committing) {
		container_set_error(c, "Container %s is busy (starting or committing)",
				    c->cfg.name);
		return -EBUSY;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->e = e;
	j->slot = c->slot;
	snprintf(j->image, sizeof(j->image), "%s", image);
	snprintf(j->base, sizeof(j->base), "%s", c->cfg.image);
	paths_container_data(&e->paths, c->cfg.name, "upper", j->upper, sizeof(j->upper));
	j->cmd = strv_dup(c->cfg.argv);
	j->env = strv_dup(c->cfg.env);
	j->workdir = c->cfg.workdir ? strdup(c->cfg.workdir) : NULL;
	j->volumes = container_volume_targets(c);
	/* A consistent copy: nothing may write the upper dir while it is read. */
	if (c->st.status == STATUS_RUNNING && !c->paused) {
		int r = container_pause(e, c);
		if (r < 0) {
			commit_job_free(j);
			return r;
		}
		j->thaw = true;
	}
	c->committing = true;
	*ret = j;
	return 0;
}

int commit_job_run(struct commit_job *j, char *err, size_t errsize)
{
	struct image_commit_config cfg = {
		.cmd = j->cmd,
		.env = j->env,
		.workdir = j->workdir,
		.exclude_paths = j->volumes,
	};

	return image_commit(&j->e->paths, j->upper, j->base, j->image, &cfg, err, errsize);
}

void container_commit_finish(struct commit_job *j)
{
	struct container *c = engine_container_by_slot(j->e, j->slot);

	if (c) {
		c->committing = false;
		if (j->thaw && c->paused)
			container_resume(j->e, c);
	}
}

void commit_job_free(struct commit_job *j)
{
	if (!j)
		return;
	strv_free(j->cmd);
	strv_free(j->env);
	strv_free(j->volumes);
	free(j->workdir);
	free(j);
}

bool engine_image_in_use(struct engine *e, const char *image, struct strbuf *users)
{
	bool used = false;

	for (struct container *c = e->containers; c; c = c->next) {
		if (strcmp(c->cfg.image, image))
			continue;
		used = true;
		if (users)
			strbuf_addf(users, "%s\n", c->cfg.name);
	}
	return used;
}

const struct engine_paths *engine_paths(const struct engine *e)
{
	return &e->paths;
}
