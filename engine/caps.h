/* Capabilities of a container's processes: Docker's default set, nothing more. */
#pragma once

#include <stddef.h>

/* Limit the bounding, permitted and effective sets to NAMES ("CAP_CHOWN", ...; NULL: Docker's
 * default set), clear inheritable and ambient. Call last before execve: it drops what the
 * set-up needed. */
int caps_apply(char *const *names);

/* "chown", "CAP_CHOWN" or "cap_chown" to "CAP_CHOWN"; -EINVAL if unknown. */
int caps_normalize(const char *name, char *buf, size_t size);

/* Docker's default set, NULL-terminated. */
extern const char *const caps_docker_default[];
