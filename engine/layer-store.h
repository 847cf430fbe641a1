/* The layer store: DATA_DIR/layers/ID, one directory per layer, named by the sha256 (64 hex
 * digits, no "sha256:" prefix, since ':' separates overlay's lowerdir entries) of the layer's
 * uncompressed tar stream, docker's diff_id. A layer is built under DATA_DIR/layers/.tmp-* and
 * renamed into place, so a crash leaves only a .tmp-* directory that layer_store_gc() removes.
 * An alias (a symlink DATA_DIR/layers/DIGEST -> ID) records that another tar stream, the one
 * image_export() wrote, extracts to the same layer, so a round trip stores nothing twice. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "paths.h"

#define LAYER_ID_LEN 64

/* A running sha256 (OpenSSL EVP). */
struct layer_hash {
	void *ctx; /* EVP_MD_CTX */
	uint64_t bytes;
};

int layer_hash_init(struct layer_hash *h);
void layer_hash_update(struct layer_hash *h, const void *buf, size_t len);
/* Finish into 64 lowercase hex digits; the hash is cleared. */
int layer_hash_final(struct layer_hash *h, char ret_hex[LAYER_ID_LEN + 1]);
void layer_hash_clear(struct layer_hash *h);

/* 64 lowercase hex digits. */
bool layer_id_is_valid(const char *id);

/* A layer directory under construction. */
struct layer_tmp {
	char path[4096]; /* empty once published or discarded */
	int dirfd;
};

/* Make an empty DATA_DIR/layers/.tmp-RANDOM (mode 0755) and open it. */
int layer_tmp_create(const struct engine_paths *p, struct layer_tmp *ret);
/* Remove a layer under construction; a published or empty one is left alone. */
void layer_tmp_discard(struct layer_tmp *t);
/* Move T into the store under DIGEST, or drop it when the store already holds a layer with
 * that digest (as itself or as an alias). RET_ID gets the stored layer's id; RET_NEW whether
 * this call created it (so a failed caller knows what to take back). Call with the store
 * lock held. */
int layer_tmp_publish(const struct engine_paths *p, struct layer_tmp *t, const char *digest,
		      char ret_id[LAYER_ID_LEN + 1], bool *ret_new);

/* The stored layer id for DIGEST (itself, or what its alias names); -ENOENT if none. */
int layer_resolve(const struct engine_paths *p, const char *digest, char ret_id[LAYER_ID_LEN + 1]);
/* Record that DIGEST extracts to layer ID. */
int layer_alias_add(const struct engine_paths *p, const char *digest, const char *id);

/* Remove layer ID and every alias naming it. Call with the store lock held. */
int layer_remove(const struct engine_paths *p, const char *id);

/* The store lock (flock on DATA_DIR/layers): held while layers and images appear or go, so
 * a delete never removes a layer an import has just decided to share. Returns the fd. */
int layer_store_lock(const struct engine_paths *p);

/* Bytes of disk used by the tree at DIRFD (st_blocks, hard links counted once), as du. */
int layer_disk_usage(int dirfd, uint64_t *ret_bytes);

/* Open DATA_DIR/layers/ID as a directory (O_PATH is not enough: it is read). */
int layer_open(const struct engine_paths *p, const char *id);
