/* Linux bridges, configured over rtnetlink (libnl-route), never through `ip` or `brctl`. Every
 * call works in the calling thread's network namespace (the host's, for the daemon). */
#pragma once

#include <netinet/in.h>

/* Create the bridge NAME, give it GATEWAY/PREFIX and a stable MAC derived from GATEWAY, and bring
 * it up. Idempotent: an existing bridge NAME is reused (its address added if missing, brought up),
 * so a daemon restarting over its old bridges needs nothing special. -EEXIST when NAME exists
 * and is not a bridge; -EINVAL for a bad name or prefix. A bridge this call created is deleted
 * again if a later step fails. */
int bridge_create(const char *name, struct in_addr gateway, unsigned prefix);

/* Delete the bridge NAME (its ports are released, not deleted). 0 when it does not exist;
 * -EINVAL when NAME is a link of another kind, which ctrfs never deletes. */
int bridge_delete(const char *name);

/* Bring the bridge NAME up; -ENODEV when it does not exist. */
int bridge_up(const char *name);

/* The interface index of the bridge NAME (> 0), -ENODEV when missing, -EINVAL when NAME is not a
 * bridge. */
int bridge_ifindex(const char *name);
