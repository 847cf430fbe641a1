/* networks/: `mkdir networks/NAME` makes a bridge network (its subnet picked from the pool),
 * `rmdir` removes it (EBUSY while containers are on it); networks/NAME/ shows subnet (writable
 * while empty: re-plans the network), gateway, bridge, driver, ipam (the address bitmap),
 * endpoints (container ip veth) and error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-internal.h"
#include "log.h"
#include "network.h"

static const struct {
	const char *name;
	enum network_file what;
	mode_t mode;
} files[] = {
	{NULL, 0, 0},
	{"subnet", NETWORK_SUBNET, 0644},
	{"gateway", NETWORK_GATEWAY, 0444},
	{"bridge", NETWORK_BRIDGE, 0444},
	{"driver", NETWORK_DRIVER, 0444},
	{"ipam", NETWORK_IPAM, 0444},
	{"endpoints", NETWORK_ENDPOINTS, 0444},
	{"error", NETWORK_ERROR, 0444},
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static struct network *of_ino(struct fs *fs, fuse_ino_t ino)
{
	return network_by_slot(fs->engine, (ino - NETWORK_BASE) / 16);
}

static fuse_ino_t ino_of(const struct network *n, unsigned file)
{
	return NETWORK_BASE + network_slot(n) * 16 + file;
}

fuse_ino_t networks_lookup(struct fs *fs, fuse_ino_t parent, const char *name)
{
	struct network *n;

	if (parent == INO_NETWORKS) {
		n = network_by_name(fs->engine, name);
		return n ? ino_of(n, 0) : 0;
	}
	n = of_ino(fs, parent);
	if (!n || (parent - NETWORK_BASE) % 16)
		return 0;
	for (unsigned i = 1; i < NFILES; i++)
		if (!strcmp(name, files[i].name))
			return ino_of(n, i);
	return 0;
}

int networks_fill_attr(struct fs *fs, fuse_ino_t ino, struct stat *st)
{
	unsigned file;

	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_atim = st->st_mtim = st->st_ctim = fs->started;
	if (ino == INO_NETWORKS) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (!of_ino(fs, ino))
		return -ENOENT;
	file = (unsigned) ((ino - NETWORK_BASE) % 16);
	if (file >= NFILES)
		return -ENOENT;
	st->st_mode = file ? S_IFREG | files[file].mode : S_IFDIR | 0755;
	st->st_nlink = file ? 1 : 2;
	return 0;
}

int networks_listing(fuse_req_t req, struct fs *fs, fuse_ino_t ino, struct strbuf *sb)
{
	int r = fs_dir_add(req, sb, ".", ino, S_IFDIR);
	struct network *n;

	if (r == 0)
		r = fs_dir_add(req, sb, "..", ino == INO_NETWORKS ? INO_ROOT : INO_NETWORKS,
			       S_IFDIR);
	if (ino == INO_NETWORKS) {
		for (n = network_next(fs->engine, NULL); n && r == 0;
		     n = network_next(fs->engine, n))
			r = fs_dir_add(req, sb, network_name(n), ino_of(n, 0), S_IFDIR);
		return r;
	}
	n = of_ino(fs, ino);
	if (!n)
		return -ENOENT;
	for (unsigned i = 1; i < NFILES && r == 0; i++)
		r = fs_dir_add(req, sb, files[i].name, ino_of(n, i), S_IFREG);
	return r;
}

int networks_open(struct fs *fs, fuse_ino_t ino, int flags, struct open_file *of)
{
	unsigned file = (unsigned) ((ino - NETWORK_BASE) % 16);
	struct network *n = of_ino(fs, ino);

	if (!n || file == 0 || file >= NFILES)
		return -ENOENT;
	if ((flags & O_ACCMODE) != O_RDONLY && !(files[file].mode & 0200))
		return -EACCES;
	of->kind = FILE_NETWORK;
	of->slot = network_slot(n);
	of->session = file;
	return 0;
}

int networks_snapshot(struct fs *fs, struct open_file *of)
{
	struct network *n = network_by_slot(fs->engine, of->slot);

	if (!n)
		return -ENOENT;
	return network_show(fs->engine, n, files[of->session].what, &of->snap);
}

int networks_write(struct fs *fs, struct open_file *of, const char *buf, size_t size)
{
	struct network *n = network_by_slot(fs->engine, of->slot);
	int r;

	if (!n)
		return -ENOENT;
	if (files[of->session].what != NETWORK_SUBNET)
		return -EACCES;
	r = network_set_subnet(fs->engine, n, buf, size);
	if (r < 0)
		log_error("network %s: %s (%s)", network_name(n), network_error(n), strerror(-r));
	return r;
}

int networks_mkdir(struct fs *fs, const char *name, fuse_ino_t *ret)
{
	struct network *n;
	char err[512] = "";
	int r = network_create(fs->engine, name, &n, err, sizeof(err));

	if (r < 0) {
		log_error("mkdir networks/%s: %s", name, err[0] ? err : strerror(-r));
		return r;
	}
	log_info("Created network %s", name);
	*ret = ino_of(n, 0);
	return 0;
}

int networks_rmdir(struct fs *fs, const char *name)
{
	struct network *n = network_by_name(fs->engine, name);
	int r;

	if (!n)
		return -ENOENT;
	r = network_remove(fs->engine, n);
	if (r < 0)
		log_error("rmdir networks/%s: %s", name, network_error(n));
	else
		log_info("Removed network %s", name);
	return r;
}
