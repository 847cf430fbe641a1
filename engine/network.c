/* Networks and endpoints: the engine's side of networking. A network is a directory in the
 * data dir (network.json: driver, bridge, subnet, gateway; ipam: the address bitmap), its
 * kernel side made by netdrv. A running container's endpoint is its address, its published
 * ports and the /etc files it gets; the veth itself is made by the container's monitor, inside
 * the container's new network namespace, from the endpoint file written here. */
#include "network.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge.h"
#include "cidr.h"
#include "cleanup.h"
#include "driver.h"
#include "engine-internal.h"
#include "fileio.h"
#include "ipam.h"
#include "names.h"
#include "nat.h"
#include "pool.h"
#include "runenv.h"
#include "veth.h"
#include "etcfiles.h"
#include "overlay.h"
#include <fcntl.h>

struct network {
	struct network *next;
	uint64_t slot;
	char name[NAME_MAX_LEN + 1];
	char driver[16];
	char bridge[IFNAMSIZ];
	struct cidr subnet;
	struct in_addr gateway;
	struct ipam *ipam;
	char error[512];
};

static void net_path(struct engine *e, const char *name, const char *leaf, char *buf, size_t size)
{
	if (leaf)
		snprintf(buf, size, "%s/networks/%s/%s", e->paths.data_dir, name, leaf);
	else
		snprintf(buf, size, "%s/networks/%s", e->paths.data_dir, name);
}

static void net_free(struct network *n)
{
	if (!n)
		return;
	ipam_free(n->ipam);
	free(n);
}

struct network *network_by_name(struct engine *e, const char *name)
{
	for (struct network *n = e->networks; n; n = n->next)
		if (!strcmp(n->name, name))
			return n;
	return NULL;
}

struct network *network_by_slot(struct engine *e, uint64_t slot)
{
	for (struct network *n = e->networks; n; n = n->next)
		if (n->slot == slot)
			return n;
	return NULL;
}

struct network *network_next(struct engine *e, struct network *prev)
{
	return prev ? prev->next : e->networks;
}

uint64_t network_slot(const struct network *n)
{
	return n->slot;
}

const char *network_name(const struct network *n)
{
	return n->name;
}

const char *network_error(const struct network *n)
{
	return n->error;
}

/* Write network.json and ipam into DIR (the network's directory, or its hidden draft). */
static int save_network_at(const struct network *n, const char *dir)
{
	char path[PATH_MAX], subnet[CIDR_STRLEN], gw[CIDR_ADDR_STRLEN];
	json_object *o = json_object_new_object();
	const char *text;
	int r;

	if (!o)
		return -ENOMEM;
	cidr_format(&n->subnet, subnet);
	cidr_addr_format(n->gateway, gw);
	json_object_object_add(o, "driver", json_object_new_string(n->driver));
	json_object_object_add(o, "bridge", json_object_new_string(n->bridge));
	json_object_object_add(o, "subnet", json_object_new_string(subnet));
	json_object_object_add(o, "gateway", json_object_new_string(gw));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	snprintf(path, sizeof(path), "%s/network.json", dir);
	r = fileio_write_atomic(path, text, strlen(text), true);
	json_object_put(o);
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/ipam", dir);
		r = ipam_save(n->ipam, path);
	}
	return r;
}

static int save_network(struct engine *e, const struct network *n)
{
	char dir[PATH_MAX];

	net_path(e, n->name, NULL, dir, sizeof(dir));
	return save_network_at(n, dir);
}

/* Persist the bitmap alone, after an allocation or a release. */
static int save_ipam(struct engine *e, const struct network *n)
{
	char path[PATH_MAX];

	net_path(e, n->name, "ipam", path, sizeof(path));
	return ipam_save(n->ipam, path);
}

static int load_network(struct engine *e, const char *name, struct network **ret)
{
	_cleanup_free_ char *text = NULL;
	struct network *n = calloc(1, sizeof(*n));
	char path[PATH_MAX];
	json_object *o, *v;
	int r;

	if (!n)
		return -ENOMEM;
	snprintf(n->name, sizeof(n->name), "%s", name);
	net_path(e, name, "network.json", path, sizeof(path));
	r = fileio_read_all(path, 65536, &text, NULL);
	o = r == 0 ? json_tokener_parse(text) : NULL;
	r = o ? 0 : (r < 0 ? r : -EINVAL);
	if (r == 0 && json_object_object_get_ex(o, "driver", &v))
		snprintf(n->driver, sizeof(n->driver), "%s", json_object_get_string(v));
	if (r == 0 && json_object_object_get_ex(o, "bridge", &v))
		snprintf(n->bridge, sizeof(n->bridge), "%s", json_object_get_string(v));
	if (r == 0)
		r = json_object_object_get_ex(o, "subnet", &v)
			    ? cidr_parse(json_object_get_string(v), &n->subnet)
			    : -EINVAL;
	if (r == 0)
		r = json_object_object_get_ex(o, "gateway", &v)
			    ? cidr_addr_parse(json_object_get_string(v), &n->gateway)
			    : -EINVAL;
	json_object_put(o);
	if (r == 0) {
		net_path(e, name, "ipam", path, sizeof(path));
		/* A lost or torn bitmap is rebuilt: network_reconcile fills it from endpoints. */
		if (ipam_load(path, &n->ipam) < 0)
			r = ipam_new(&n->subnet, n->gateway, &n->ipam);
	}
	if (r < 0) {
		net_free(n);
		return r;
	}
	n->slot = ++e->next_network_slot;
	*ret = n;
	return 0;
}

/* The kernel side: bridge with the gateway address, masquerade, isolation. Idempotent. */
static int plumb(struct network *n)
{
	const struct driver_ops *d = driver_find(n->driver);
	struct driver_network dn = {
		.name = n->name, .bridge = n->bridge, .subnet = n->subnet, .gateway = n->gateway};

	if (!d)
		return -EINVAL;
	return d->create(&dn);
}

static int unplumb(struct network *n)
{
	const struct driver_ops *d = driver_find(n->driver);
	struct driver_network dn = {
		.name = n->name, .bridge = n->bridge, .subnet = n->subnet, .gateway = n->gateway};

	return d ? d->delete (&dn) : -EINVAL;
}

int network_load_all(struct engine *e)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/networks", e->paths.data_dir);
	if (fileio_mkdir_p(dir, 0700) < 0 || !(d = opendir(dir)))
		return negerrno();
	while ((de = readdir(d))) {
		struct network *n;
		char path[PATH_MAX];

		if (de->d_name[0] == '.') {
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
				snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
				fileio_remove_tree(path); /* half made or half removed */
			}
			continue;
		}
		if (load_network(e, de->d_name, &n) < 0)
			continue;
		if (plumb(n) < 0)
			snprintf(n->error, sizeof(n->error), "Cannot set up bridge %s", n->bridge);
		n->next = e->networks;
		e->networks = n;
	}
	closedir(d);
	return 0;
}

void network_free_all(struct engine *e)
{
	while (e->networks) {
		struct network *n = e->networks;
		e->networks = n->next;
		net_free(n);
	}
}

static size_t other_subnets(struct engine *e, const struct network *except, struct cidr *out,
			    size_t max)
{
	size_t k = 0;

	for (struct network *n = e->networks; n && k < max; n = n->next)
		if (n != except)
			out[k++] = n->subnet;
	return k;
}

int network_create(struct engine *e, const char *name, struct network **ret, char *err,
		   size_t errsize)
{
	struct pool_range ranges[POOL_MAX_RANGES];
	struct cidr others[256];
	char tmp[PATH_MAX], dir[PATH_MAX], id[65];
	size_t nranges = 0, nothers;
	struct network *n;
	int r;

	if (!name_is_valid(name) || !strcmp(name, "none") || !strcmp(name, "host")) {
		snprintf(err, errsize,
			 "Bad network name \"%.64s\": 1-64 of [A-Za-z0-9_.-], not "
			 "none or host",
			 name);
		return -EINVAL;
	}
	if (network_by_name(e, name))
		return -EEXIST;
	n = calloc(1, sizeof(*n));
	if (!n || str_random_id(id) < 0) {
		free(n);
		return -ENOMEM;
	}
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->driver, sizeof(n->driver), "bridge");
	snprintf(n->bridge, sizeof(n->bridge), "ctr%.10s", id);
	pool_parse(POOL_DEFAULT, ranges, POOL_MAX_RANGES, &nranges);
	nothers = other_subnets(e, NULL, others, 256);
	r = pool_pick_host(ranges, nranges, others, nothers, &n->subnet);
	if (r < 0) {
		snprintf(err, errsize, "No free subnet left in the pool %s", POOL_DEFAULT);
		net_free(n);
		return r == -ENOSPC ? r : -ENOSPC;
	}
	n->gateway = cidr_first_host(&n->subnet);
	r = ipam_new(&n->subnet, n->gateway, &n->ipam);
	if (r < 0) {
		net_free(n);
		return r;
	}
	/* Built under a hidden name and renamed: a crash leaves all of it or none. */
	snprintf(tmp, sizeof(tmp), "%s/networks/.new-%.16s", e->paths.data_dir, id);
	net_path(e, name, NULL, dir, sizeof(dir));
	r = mkdir(tmp, 0700) < 0 ? negerrno() : save_network_at(n, tmp);
	if (r == 0)
		r = plumb(n);
	if (r < 0) {
		snprintf(err, errsize, "Cannot create bridge %s: %s", n->bridge, strerror(-r));
		goto undo;
	}
	if (rename(tmp, dir) < 0) {
		r = negerrno();
		snprintf(err, errsize, "Cannot store network %s: %s", name, strerror(-r));
		unplumb(n);
		goto undo;
	}
	n->slot = ++e->next_network_slot;
	n->next = e->networks;
	e->networks = n;
	events_emit(e, "network", name, "create");
	*ret = n;
	return 0;
undo:
	fileio_remove_tree(tmp);
	net_free(n);
	return r;
}

static bool has_endpoints(struct engine *e, const struct network *n)
{
	for (struct container *c = e->containers; c; c = c->next)
		if (c->ep && !strcmp(c->ep->network, n->name))
			return true;
	return false;
}

int network_remove(struct engine *e, struct network *n)
{
	char dir[PATH_MAX], trash[PATH_MAX];
	struct network **pp;
	int r;

	if (has_endpoints(e, n)) {
		snprintf(n->error, sizeof(n->error),
			 "Network %s has endpoints: stop its containers", n->name);
		return -EBUSY;
	}
	r = unplumb(n);
	if (r < 0) {
		snprintf(n->error, sizeof(n->error), "Cannot remove bridge %s: %s", n->bridge,
			 strerror(-r));
		return r;
	}
	net_path(e, n->name, NULL, dir, sizeof(dir));
	snprintf(trash, sizeof(trash), "%s/networks/.rm-%s", e->paths.data_dir, n->bridge);
	if (rename(dir, trash) == 0)
		fileio_remove_tree(trash);
	for (pp = &e->networks; *pp && *pp != n; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = n->next;
	events_emit(e, "network", n->name, "remove");
	net_free(n);
	return 0;
}

int network_show(struct engine *e, struct network *n, enum network_file f, struct strbuf *out)
{
	char buf[CIDR_STRLEN];
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = 0;

	switch (f) {
	case NETWORK_SUBNET:
		cidr_format(&n->subnet, buf);
		return strbuf_addf(out, "%s\n", buf);
	case NETWORK_GATEWAY:
		cidr_addr_format(n->gateway, buf);
		return strbuf_addf(out, "%s\n", buf);
	case NETWORK_BRIDGE:
		return strbuf_addf(out, "%s\n", n->bridge);
	case NETWORK_DRIVER:
		return strbuf_addf(out, "%s\n", n->driver);
	case NETWORK_IPAM:
		r = ipam_render(n->ipam, &text, &len);
		return r < 0 ? r : strbuf_add(out, text, len);
	case NETWORK_ENDPOINTS:
		for (struct container *c = e->containers; c && r == 0; c = c->next) {
			char ip[CIDR_ADDR_STRLEN];
			if (!c->ep || strcmp(c->ep->network, n->name))
				continue;
			cidr_addr_format(c->ep->ip, ip);
			r = strbuf_addf(out, "%s %s %s\n", c->cfg.name, ip,
					c->st.veth[0] ? c->st.veth : "-");
		}
		return r;
	case NETWORK_ERROR:
		return n->error[0] ? strbuf_addf(out, "%s\n", n->error) : 0;
	}
	return -EINVAL;
}

int network_set_subnet(struct engine *e, struct network *n, const char *text, size_t len)
{
	struct cidr want, others[256], old = n->subnet;
	struct in_addr old_gw = n->gateway;
	struct ipam *ipam = NULL;
	char buf[64];
	size_t k;
	int r;

	if (has_endpoints(e, n)) {
		snprintf(n->error, sizeof(n->error), "Network %s has endpoints", n->name);
		return -EBUSY;
	}
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0'; /* echo's newline is not part of the value */
	if (cidr_parse(buf, &want) < 0) {
		snprintf(n->error, sizeof(n->error),
			 "Bad subnet \"%.40s\": A.B.C.D/N with N from %d "
			 "to %d and no host bits",
			 buf, CIDR_PREFIX_MIN, CIDR_PREFIX_MAX);
		return -EINVAL;
	}
	k = other_subnets(e, n, others, 256);
	r = pool_check(&want, others, k);
	if (r == 0) {
		_cleanup_free_ struct cidr *routes = NULL;
		size_t nr = 0;
		if (pool_host_routes(n->bridge, &routes, &nr) == 0)
			r = pool_check(&want, routes, nr);
	}
	if (r < 0) {
		snprintf(n->error, sizeof(n->error),
			 "Subnet %.40s overlaps another network or a "
			 "route of the host",
			 buf);
		return -EEXIST;
	}
	r = ipam_new(&want, cidr_first_host(&want), &ipam);
	if (r < 0)
		return r;
	unplumb(n);
	n->subnet = want;
	n->gateway = cidr_first_host(&want);
	r = plumb(n);
	if (r == 0)
		r = save_network(e, n);
	if (r < 0) {
		snprintf(n->error, sizeof(n->error), "Cannot re-plan %s: %s", n->name,
			 strerror(-r));
		unplumb(n);
		n->subnet = old;
		n->gateway = old_gw;
		plumb(n);
		ipam_free(ipam);
		return r;
	}
	ipam_free(n->ipam);
	n->ipam = ipam;
	return save_network(e, n);
}

int network_check_name(const char *name)
{
	return (!strcmp(name, "none") || !strcmp(name, "host") || name_is_valid(name)) ? 0
										       : -EINVAL;
}

int network_parse_port(const char *line, int *ret_proto, uint16_t *ret_host, uint16_t *ret_port)
{
	char proto[8] = "tcp", extra;
	unsigned host, port;
	int n;

	/* Strictly HOSTPORT:PORT[/PROTO]: digits, one colon, an optional protocol. */
	size_t digits = strspn(line, "0123456789");
	if (digits == 0 || line[digits] != ':' || strspn(line + digits + 1, "0123456789") == 0)
		return -EINVAL;
	n = sscanf(line, "%u:%u/%7[a-z]%c", &host, &port, proto, &extra);
	if (n < 2 || n > 3 || host == 0 || host > 65535 || port == 0 || port > 65535)
		return -EINVAL;
	char after = line[digits + 1 + strspn(line + digits + 1, "0123456789")];
	if ((n == 2 && after != '\0') || (n == 3 && after != '/'))
		return -EINVAL;
	if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
		return -EINVAL;
	*ret_proto = strcmp(proto, "tcp") ? IPPROTO_UDP : IPPROTO_TCP;
	*ret_host = (uint16_t) host;
	*ret_port = (uint16_t) port;
	return 0;
}

/* ---- endpoints ---------------------------------------------------------------------- */

static void etc_path(struct engine *e, const struct container *c, const char *leaf, char *buf,
		     size_t size)
{
	paths_container_state(&e->paths, c->cfg.name, leaf, buf, size);
}

/* Replace a file in place: a container has it bind-mounted, a rename would not reach it. */
static int write_in_place(const char *path, const char *text, size_t len)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return negerrno();
	return fileio_write_full(fd, text, len);
}

static int write_hosts(struct engine *e, struct container *c)
{
	struct strbuf sb = {0};
	char hostname[64], ip[CIDR_ADDR_STRLEN], path[PATH_MAX];
	int r;

	runenv_hostname(&c->cfg, hostname);
	r = strbuf_addf(&sb, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (r == 0 && c->ep) {
		cidr_addr_format(c->ep->ip, ip);
		r = strbuf_addf(&sb, "%s\t%s %s\n", ip, hostname, c->cfg.name);
		for (struct container *o = e->containers; o && r == 0; o = o->next) {
			if (o == c || !o->ep || strcmp(o->ep->network, c->ep->network))
				continue;
			cidr_addr_format(o->ep->ip, ip);
			r = strbuf_addf(&sb, "%s\t%s\n", ip, o->cfg.name);
		}
	} else if (r == 0) {
		r = strbuf_addf(&sb, "127.0.1.1\t%s %s\n", hostname, c->cfg.name);
	}
	etc_path(e, c, "hosts", path, sizeof(path));
	if (r == 0)
		r = write_in_place(path, sb.data, sb.len);
	strbuf_free(&sb);
	return r;
}

/* Copy C's prepared hosts file into its root (through its monitor's mount, resolving inside
 * it). A container not started yet is marked: its monitor may have copied the file already. */
static void install_hosts(struct engine *e, struct container *c)
{
	char dir[PATH_MAX];
	int fd;

	if (c->st.status != STATUS_RUNNING || !overlay_is_mounted(c->st.rootfs)) {
		c->hosts_stale = true;
		return;
	}
	paths_container_state(&e->paths, c->cfg.name, NULL, dir, sizeof(dir));
	fd = open(c->st.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		etcfiles_install(fd, dir, "hosts");
		close(fd);
	}
}

/* Every container on NETWORK learns the current set of names. */
static void update_peers(struct engine *e, const char *network)
{
	for (struct container *c = e->containers; c; c = c->next)
		if (c->ep && !strcmp(c->ep->network, network) && write_hosts(e, c) == 0)
			install_hosts(e, c);
}

void network_started(struct engine *e, struct container *c)
{
	if (c->hosts_stale && c->ep) {
		c->hosts_stale = false;
		install_hosts(e, c);
	}
}

/* The host's resolvers, less the ones on loopback (unreachable from the container). */
static int write_resolv(struct engine *e, struct container *c)
{
	_cleanup_free_ char *host = NULL;
	struct strbuf sb = {0};
	char path[PATH_MAX];
	int r = 0;

	if (fileio_read_all("/etc/resolv.conf", 65536, &host, NULL) == 0) {
		for (char *save = NULL, *l = strtok_r(host, "\n", &save); l && r == 0;
		     l = strtok_r(NULL, "\n", &save)) {
			if (!strncmp(l, "nameserver", 10) &&
			    (strstr(l, " 127.") || strstr(l, " ::1") || strstr(l, "\t127.")))
				continue;
			if (!strncmp(l, "nameserver", 10) || !strncmp(l, "search", 6) ||
			    !strncmp(l, "options", 7))
				r = strbuf_addf(&sb, "%s\n", l);
		}
	}
	etc_path(e, c, "resolv.conf", path, sizeof(path));
	if (r == 0)
		r = write_in_place(path, sb.data ? sb.data : "", sb.len);
	strbuf_free(&sb);
	return r;
}

static int write_etc(struct engine *e, struct container *c)
{
	char hostname[70], path[PATH_MAX];
	int r;

	runenv_hostname(&c->cfg, hostname);
	strcat(hostname, "\n");
	etc_path(e, c, "hostname", path, sizeof(path));
	r = write_in_place(path, hostname, strlen(hostname));
	if (r == 0)
		r = write_hosts(e, c);
	if (r == 0)
		r = write_resolv(e, c);
	return r;
}

static void drop_ports(struct endpoint *ep, unsigned upto)
{
	for (unsigned i = 0; i < upto; i++)
		nat_port_remove(ep->ports[i].proto, ep->ports[i].host);
}

int network_attach(struct engine *e, struct container *c)
{
	const char *name = c->cfg.network ? c->cfg.network : e->default_network;
	char err[256] = "", path[PATH_MAX];
	struct endpoint *ep;
	struct network *n;
	unsigned i;
	int r;

	paths_container_state(&e->paths, c->cfg.name, NULL, path, sizeof(path));
	r = fileio_mkdir_p(path, 0700);
	if (r < 0) {
		container_set_error(c, "Cannot create %s: %s", path, strerror(-r));
		return r;
	}
	etc_path(e, c, "endpoint.json", path, sizeof(path));
	unlink(path);
	if (!strcmp(name, "none") || !strcmp(name, "host")) {
		r = write_etc(e, c);
		if (r < 0)
			container_set_error(c, "Cannot write its /etc files: %s", strerror(-r));
		return r;
	}
	n = network_by_name(e, name);
	if (!n && !strcmp(name, NETWORK_DEFAULT)) {
		r = network_create(e, NETWORK_DEFAULT, &n, err, sizeof(err));
		if (r < 0) {
			container_set_error(c, "Cannot create the default network: %s", err);
			return r;
		}
	}
	if (!n) {
		container_set_error(c, "Network %s does not exist", name);
		return -ENOENT;
	}
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	snprintf(ep->network, sizeof(ep->network), "%s", n->name);
	snprintf(ep->bridge, sizeof(ep->bridge), "%s", n->bridge);
	ep->gateway = n->gateway;
	ep->prefix = n->subnet.prefix;
	for (char **p = c->cfg.ports; p && *p && ep->nports < ENDPOINT_MAX_PORTS; p++) {
		int proto;
		uint16_t host, port;
		if (network_parse_port(*p, &proto, &host, &port) < 0)
			continue; /* validated when written */
		if (nat_port_in_use(proto, host) < 0) {
			container_set_error(c, "Host port %u/%s is in use", host,
					    proto == IPPROTO_TCP ? "tcp" : "udp");
			free(ep);
			return -EBUSY;
		}
		ep->ports[ep->nports].proto = proto;
		ep->ports[ep->nports].host = host;
		ep->ports[ep->nports].port = port;
		ep->nports++;
	}
	r = ipam_alloc(n->ipam, &ep->ip);
	if (r < 0) {
		container_set_error(c, "No address left in network %s (%s)", n->name, strerror(-r));
		free(ep);
		return r;
	}
	save_ipam(e, n);
	for (i = 0; i < ep->nports; i++) {
		r = nat_port_add(ep->ports[i].proto, ep->ports[i].host, ep->ip, ep->ports[i].port);
		if (r < 0) {
			container_set_error(c, "Cannot publish port %u: %s", ep->ports[i].host,
					    strerror(-r));
			break;
		}
	}
	if (r == 0)
		r = store_endpoint_save(&e->paths, c->cfg.name, ep);
	if (r < 0) {
		drop_ports(ep, i);
		ipam_release(n->ipam, ep->ip);
		save_ipam(e, n);
		free(ep);
		return r;
	}
	c->ep = ep;
	c->hosts_stale = false; /* the monitor copies the file written now */
	r = write_etc(e, c);
	if (r < 0) {
		container_set_error(c, "Cannot write its /etc files: %s", strerror(-r));
		network_detach(e, c);
		return r;
	}
	update_peers(e, n->name);
	return 0;
}

void network_detach(struct engine *e, struct container *c)
{
	struct endpoint loaded, *ep = c->ep;
	char path[PATH_MAX];
	struct network *n;

	if (!ep && store_endpoint_load(&e->paths, c->cfg.name, &loaded) == 0)
		ep = &loaded;
	if (!ep)
		return;
	drop_ports(ep, ep->nports);
	n = network_by_name(e, ep->network);
	if (n && ipam_release(n->ipam, ep->ip) == 0)
		save_ipam(e, n);
	/* The kernel deletes the pair with the container's network namespace, but later, from a
	 * work queue: delete it now, so that once `stop` or `wait` returns nothing is left. */
	if (c->st.veth[0])
		veth_disconnect(c->st.veth);
	etc_path(e, c, "endpoint.json", path, sizeof(path));
	unlink(path);
	if (ep == c->ep) {
		free(c->ep);
		c->ep = NULL;
	}
	if (n)
		update_peers(e, n->name);
}

void network_reconcile(struct engine *e)
{
	for (struct container *c = e->containers; c; c = c->next) {
		struct endpoint ep;

		if (store_endpoint_load(&e->paths, c->cfg.name, &ep) < 0)
			continue;
		if (c->st.status == STATUS_RUNNING) {
			c->ep = malloc(sizeof(*c->ep));
			if (c->ep)
				*c->ep = ep;
		} else {
			network_detach(e, c); /* it stopped while we were away */
		}
	}
	for (struct network *n = e->networks; n; n = n->next) {
		struct in_addr used[1024];
		size_t k = 0;

		for (struct container *c = e->containers; c && k < 1024; c = c->next)
			if (c->ep && !strcmp(c->ep->network, n->name))
				used[k++] = c->ep->ip;
		/* Published ports need nothing: the nftables table outlives the daemon. */
		if (ipam_reconcile(n->ipam, used, k) > 0)
			save_ipam(e, n);
	}
}

int network_container_ip(struct engine *e, const struct container *c, struct strbuf *out)
{
	char ip[CIDR_ADDR_STRLEN];

	(void) e;
	if (!c->ep || c->st.status != STATUS_RUNNING)
		return 0;
	cidr_addr_format(c->ep->ip, ip);
	return strbuf_addf(out, "%s\n", ip);
}
