/* Where things live: the run-state dir (live state, lost at reboot) and the data dir (what
 * must survive: container config, logs, writable layers, images). */
#pragma once

#include <stddef.h>

struct engine_paths {
	char state_dir[512];
	char data_dir[512];
};

/* DATA_DIR/containers/NAME[/LEAF] */
int paths_container_data(const struct engine_paths *p, const char *name, const char *leaf,
			 char *buf, size_t size);
/* STATE_DIR/containers/NAME[/LEAF] */
int paths_container_state(const struct engine_paths *p, const char *name, const char *leaf,
			  char *buf, size_t size);
/* DATA_DIR/images/NAME[/LEAF] */
int paths_image(const struct engine_paths *p, const char *name, const char *leaf, char *buf,
		size_t size);
/* DATA_DIR/layers/ID */
int paths_layer(const struct engine_paths *p, const char *id, char *buf, size_t size);
