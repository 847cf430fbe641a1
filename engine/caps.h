/* Capabilities of a container's processes: Docker's default set, nothing more. */
#pragma once

/* Limit the bounding, permitted, effective and inheritable sets to Docker's defaults and clear
 * the ambient set. Call last before execve: it drops what the set-up needed. */
int caps_apply_default(void);
