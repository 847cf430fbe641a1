#include "nat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "cleanup.h"
#include "fileio.h"
#include "nl.h"

/* The table, created in one transaction. Its rules never change after that:
 * - prerouting/output: a packet for a local address of the host (`fib daddr type local`) whose
 *   protocol and port are a key of @ports is DNATed to the container's address and port; output
 *   is what makes the host itself (and its 127.0.0.1) reach published ports.
 * - postrouting: masquerade what leaves a ctrfs subnet through a non-ctrfs interface (egress);
 *   what goes to a ctrfs bridge from 127.0.0.0/8 (the host's loopback reaching a published
 *   port: a container cannot answer 127.0.0.1, so the source becomes the bridge's address); and
 *   a container reaching a published port through the host's address (hairpin): without it the
 *   target would answer the client directly over the bridge, from an address the client never
 *   talked to.
 * - forward: traffic routed from one ctrfs bridge to another is dropped (isolation); traffic
 *   inside one bridge is bridged and never gets here, unless br_netfilter is loaded, hence
 *   @pairs which lets bridge-to-same-bridge through.
 * `output` uses -100 (the value of dstnat), as nft 1.0.6 does not accept the name there. */
static const char table_def[] =
	"table ip " NAT_TABLE " {\n"
	"  comment \"Owned by ctrfs: created and deleted by it; do not edit\"\n"
	"  set subnets { type ipv4_addr; flags interval; }\n"
	"  set bridges { type ifname; }\n"
	"  set pairs { type ifname . ifname; }\n"
	"  map ports { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
	"  chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
	"    fib daddr type local dnat ip to meta l4proto . th dport map @ports; }\n"
	"  chain output { type nat hook output priority -100; policy accept;\n"
	"    fib daddr type local dnat ip to meta l4proto . th dport map @ports; }\n"
	"  chain postrouting { type nat hook postrouting priority srcnat; policy accept;\n"
	"    ip saddr @subnets oifname != @bridges masquerade;\n"
	"    ip saddr 127.0.0.0/8 oifname @bridges masquerade;\n"
	"    ct status dnat ip saddr @subnets oifname @bridges masquerade; }\n"
	"  chain forward { type filter hook forward priority filter; policy accept;\n"
	"    iifname @bridges oifname @bridges iifname . oifname != @pairs drop; }\n"
	"}\n";

static void nft_ctx_freep(struct nft_ctx **p)
{
	if (*p)
		nft_ctx_free(*p);
}

/* libnftables reports failure as -1 and a message; the kernel's errno survives only as its
 * strerror() text in that message, so it is recovered from there. A message without one is an
 * evaluation error (a bad value, overlapping intervals): EEXIST for the overlap, EINVAL else. */
static int nft_error(const char *msg)
{
	char first[256];

	if (!msg)
		return -EIO;
	/* Only the first line: the next ones echo the command, which holds user-given names. */
	snprintf(first, sizeof(first), "%.*s", (int) strcspn(msg, "\n"), msg);
	for (int e = 1; e < 134; e++) {
		const char *s = strerrordesc_np(e);
		if (s && strstr(first, s))
			return -e;
	}
	return strstr(first, "overlaps") ? -EEXIST : -EINVAL;
}

/* Run one nftables command (or a batch: one transaction), formatted from FMT. The output, if
 * RET_OUT is given, is copied out. */
__attribute__((format(printf, 2, 3))) static int nft_run(char **ret_out, const char *fmt, ...)
{
	_cleanup_(nft_ctx_freep) struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	_cleanup_free_ char *cmd = NULL;
	va_list ap;
	int n;

	if (!ctx)
		return -ENOMEM;
	va_start(ap, fmt);
	n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0)
		return -ENOMEM;
	if (nft_run_cmd_from_buffer(ctx, cmd) != 0)
		return nft_error(nft_ctx_get_error_buffer(ctx));
	if (ret_out) {
		*ret_out = strdup(nft_ctx_get_output_buffer(ctx));
		if (!*ret_out)
			return -ENOMEM;
	}
	return 0;
}

int nat_table_exists(void)
{
	int r = nft_run(NULL, "list table ip " NAT_TABLE);

	return r == 0 ? 1 : r == -ENOENT ? 0 : r;
}

/* Write VALUE to /proc/sys/PATH unless it holds VALUE already. */
static int sysctl_ensure(const char *path, const char *value)
{
	char full[256];
	_cleanup_free_ char *cur = NULL;
	size_t len;

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	if (fileio_read_all(full, 64, &cur, &len) == 0 && strncmp(cur, value, strlen(value)) == 0)
		return 0;
	return netlink_sysctl_write(path, value);
}

int nat_network_add(const struct cidr *subnet, const char *bridge)
{
	char net[CIDR_STRLEN], path[128];
	int exists, r;

	if (!netlink_ifname_valid(bridge))
		return -EINVAL;
	cidr_format(subnet, net);
	r = sysctl_ensure("net/ipv4/ip_forward", "1");
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "net/ipv4/conf/%s/route_localnet", bridge);
	r = sysctl_ensure(path, "1");
	if (r < 0)
		return r;
	exists = nat_table_exists();
	if (exists < 0)
		return exists;
	/* One transaction: the table (when new) and the three elements appear together. */
	return nft_run(NULL,
		       "%s"
		       "add element ip " NAT_TABLE " subnets { %s }\n"
		       "add element ip " NAT_TABLE " bridges { \"%s\" }\n"
		       "add element ip " NAT_TABLE " pairs { \"%s\" . \"%s\" }\n",
		       exists ? "" : table_def, net, bridge, bridge, bridge);
}

/* Delete one element; one that is not there is fine. */
static int delete_element(const char *set, const char *elem)
{
	int r = nft_run(NULL, "delete element ip " NAT_TABLE " %s { %s }", set, elem);

	return r == -ENOENT ? 0 : r;
}

int nat_network_remove(const struct cidr *subnet, const char *bridge)
{
	_cleanup_free_ char *out = NULL;
	char net[CIDR_STRLEN], quoted[IFNAMSIZ + 3], pair[2 * IFNAMSIZ + 8];
	int exists, r;

	if (!netlink_ifname_valid(bridge))
		return -EINVAL;
	exists = nat_table_exists();
	if (exists <= 0)
		return exists;
	cidr_format(subnet, net);
	snprintf(quoted, sizeof(quoted), "\"%s\"", bridge);
	snprintf(pair, sizeof(pair), "\"%s\" . \"%s\"", bridge, bridge);
	r = delete_element("subnets", net);
	if (r < 0)
		return r;
	r = delete_element("bridges", quoted);
	if (r < 0)
		return r;
	r = delete_element("pairs", pair);
	if (r < 0)
		return r;
	r = nft_run(&out, "list set ip " NAT_TABLE " subnets");
	if (r < 0)
		return r;
	if (strstr(out, "elements ="))
		return 0;
	/* The last network is gone: so is the table, published ports and all. */
	r = nft_run(NULL, "delete table ip " NAT_TABLE);
	return r == -ENOENT ? 0 : r;
}

static const char *proto_name(int proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : NULL;
}

int nat_port_add(int proto, uint16_t host_port, struct in_addr addr, uint16_t port)
{
	const char *p = proto_name(proto);
	char a[CIDR_ADDR_STRLEN];
	int r;

	if (!p || host_port == 0 || port == 0)
		return -EINVAL;
	cidr_addr_format(addr, a);
	/* `add element` is a no-op for the same key and value, EEXIST for the same key with
	 * another value: another mapping holds the port. */
	r = nft_run(NULL, "add element ip " NAT_TABLE " ports { %s . %u : %s . %u }", p,
		    (unsigned) host_port, a, (unsigned) port);
	return r == -EEXIST ? -EBUSY : r;
}

int nat_port_remove(int proto, uint16_t host_port)
{
	const char *p = proto_name(proto);

	if (!p || host_port == 0)
		return -EINVAL;
	return nft_run(NULL, "delete element ip " NAT_TABLE " ports { %s . %u }", p,
		       (unsigned) host_port);
}

/* True when FILE (a /proc/net/{tcp,udp}[6] table) lists a socket on local port PORT in state
 * STATE (0A = listen for tcp, 07 = unconnected/bound for udp). */
static bool proc_net_has(const char *file, uint16_t port, unsigned state)
{
	char path[64], line[512];
	FILE *f;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/thread-self/net/%s", file);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned lport, st;
		char local[64];

		/* "  sl  local_address rem_address   st ..." with local as HEXADDR:HEXPORT */
		if (sscanf(line, " %*u: %63s %*s %x", local, &st) != 2)
			continue;
		char *colon = strrchr(local, ':');
		if (!colon || sscanf(colon + 1, "%x", &lport) != 1)
			continue;
		found = lport == port && st == state;
	}
	fclose(f);
	return found;
}

int nat_port_in_use(int proto, uint16_t host_port)
{
	const char *p = proto_name(proto);
	unsigned state = proto == IPPROTO_TCP ? 0x0a : 0x07;
	char v4[8], v6[8];
	int r;

	if (!p || host_port == 0)
		return -EINVAL;
	r = nft_run(NULL, "get element ip " NAT_TABLE " ports { %s . %u }", p,
		    (unsigned) host_port);
	if (r == 0)
		return -EBUSY;
	if (r != -ENOENT)
		return r;
	snprintf(v4, sizeof(v4), "%s", p);
	snprintf(v6, sizeof(v6), "%s6", p);
	if (proc_net_has(v4, host_port, state) || proc_net_has(v6, host_port, state))
		return -EBUSY;
	return 0;
}
