/* What image-import.c (sources, extraction, publishing) and image-import-oci.c (docker and OCI
 * manifests and configs) share: the plan of an import. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "layer-store.h"

struct import_layer {
	char *member;			    /* the layer's file in the archive or layout */
	char blob_digest[LAYER_ID_LEN + 1]; /* expected sha256 of its bytes; "" = unknown */
	char diff_id[LAYER_ID_LEN + 1];	    /* expected sha256 uncompressed; "" = unknown */
	int same_as;			    /* index of an earlier layer with this member, or -1 */
	bool done;
	struct layer_tmp tmp;
	char got_diff_id[LAYER_ID_LEN + 1];
};

struct import_plan {
	struct import_layer *layers; /* bottom first */
	size_t nlayers;
	char **cmd, **env; /* NULL-terminated */
	char *workdir;
};

/* How the manifest parsers read small files (JSON) of the image by their member name. */
struct import_files {
	int (*get)(struct import_files *f, const char *member, char **ret_data, size_t *ret_len);
};

/* Fill PLAN from a `docker save` manifest.json (the first image in it). */
int import_plan_docker(struct import_files *f, struct import_plan *plan, char *err, size_t errsize);
/* Fill PLAN from an OCI layout's index.json (the manifest for this host's platform, or the
 * first). */
int import_plan_oci(struct import_files *f, struct import_plan *plan, char *err, size_t errsize);

void import_plan_clear(struct import_plan *plan);
