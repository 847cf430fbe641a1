/* Validation of user-chosen names and values, one predicate each. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define NAME_MAX_LEN 64

/* Container and image names: 1-64 of [A-Za-z0-9_.-], the first a letter or digit. */
bool name_is_valid(const char *name);

/* A hostname label: 1-63 of [A-Za-z0-9-], not starting or ending with '-'. */
bool hostname_is_valid(const char *name);

/* An environment key: [A-Za-z_][A-Za-z0-9_]*. LEN bytes of KEY are checked. */
bool env_key_is_valid(const char *key, size_t len);

/* An absolute path without NUL, "." or ".." components. */
bool abspath_is_valid(const char *path);
