#include "paths.h"

#include <errno.h>
#include <stdio.h>

static int join(char *buf, size_t size, const char *base, const char *kind, const char *name,
		const char *leaf)
{
	int n = leaf ? snprintf(buf, size, "%s/%s/%s/%s", base, kind, name, leaf)
		     : snprintf(buf, size, "%s/%s/%s", base, kind, name);

	return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

int paths_container_data(const struct engine_paths *p, const char *name, const char *leaf,
			 char *buf, size_t size)
{
	return join(buf, size, p->data_dir, "containers", name, leaf);
}

int paths_container_state(const struct engine_paths *p, const char *name, const char *leaf,
			  char *buf, size_t size)
{
	return join(buf, size, p->state_dir, "containers", name, leaf);
}

int paths_image(const struct engine_paths *p, const char *name, const char *leaf, char *buf,
		size_t size)
{
	return join(buf, size, p->data_dir, "images", name, leaf);
}

int paths_layer(const struct engine_paths *p, const char *id, char *buf, size_t size)
{
	return join(buf, size, p->data_dir, "layers", id, NULL);
}
