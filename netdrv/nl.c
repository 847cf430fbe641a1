#include "nl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/errno.h>

#include "cleanup.h"
#include "fileio.h"

/* libnl folds the kernel's errno into its own smaller set (nl_syserr2nlerr); this undoes it as
 * well as it can. EEXIST, ENODEV, EPERM, EBUSY and EINVAL survive exactly, and those are the ones
 * callers act on. */
static const int nle_to_errno[] = {
	[NLE_SUCCESS] = 0,
	[NLE_FAILURE] = EIO,
	[NLE_INTR] = EINTR,
	[NLE_BAD_SOCK] = EBADF,
	[NLE_AGAIN] = EAGAIN,
	[NLE_NOMEM] = ENOMEM,
	[NLE_EXIST] = EEXIST,
	[NLE_INVAL] = EINVAL,
	[NLE_RANGE] = ERANGE,
	[NLE_MSGSIZE] = EMSGSIZE,
	[NLE_OPNOTSUPP] = EOPNOTSUPP,
	[NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
	[NLE_OBJ_NOTFOUND] = ENOENT,
	[NLE_NOATTR] = ENODATA,
	[NLE_MISSING_ATTR] = EINVAL,
	[NLE_AF_MISMATCH] = EAFNOSUPPORT,
	[NLE_SEQ_MISMATCH] = EPROTO,
	[NLE_MSG_OVERFLOW] = ENOBUFS,
	[NLE_MSG_TRUNC] = EMSGSIZE,
	[NLE_NOADDR] = EADDRNOTAVAIL,
	[NLE_SRCRT_NOSUPPORT] = EOPNOTSUPP,
	[NLE_MSG_TOOSHORT] = EBADMSG,
	[NLE_MSGTYPE_NOSUPPORT] = EOPNOTSUPP,
	[NLE_OBJ_MISMATCH] = EINVAL,
	[NLE_NOCACHE] = ENOENT,
	[NLE_BUSY] = EBUSY,
	[NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
	[NLE_NOACCESS] = EACCES,
	[NLE_PERM] = EPERM,
	[NLE_PKTLOC_FILE] = ENOENT,
	[NLE_PARSE_ERR] = EBADMSG,
	[NLE_NODEV] = ENODEV,
	[NLE_IMMUTABLE] = EROFS,
	[NLE_DUMP_INTR] = EAGAIN,
	[NLE_ATTRSIZE] = EINVAL,
};

/* The kernel's own errno of the last NLMSG_ERROR on this thread's sockets: libnl folds errnos
 * it does not know (ENOTCONN, ENETUNREACH, ...) into NLE_FAILURE, so the error callback of every
 * socket from netlink_open keeps the original, and netlink_errno prefers it. Requests are
 * synchronous on the calling thread, so the thread-local value belongs to the call being mapped. */
static __thread int kernel_errno;

static int capture_error(struct sockaddr_nl *who, struct nlmsgerr *err, void *arg)
{
	(void) who;
	(void) arg;
	kernel_errno = err->error < 0 ? -err->error : err->error;
	return NL_STOP; /* what libnl does without a callback: end the wait with the error */
}

int netlink_errno(int nle)
{
	int code = nle < 0 ? -nle : nle, kernel = kernel_errno;

	kernel_errno = 0;
	if (code == 0)
		return 0;
	if (kernel > 0 && kernel < 4096)
		return -kernel;
	if ((size_t) code >= ARRAY_SIZE(nle_to_errno) || nle_to_errno[code] == 0)
		return -EIO;
	return -nle_to_errno[code];
}

/* Enter NETNS_FD on the calling thread; *RET_SELF keeps the way back. */
static int netns_enter(int netns_fd, int *ret_self)
{
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (self < 0)
		return negerrno();
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return negerrno();
	*ret_self = TAKE_FD(self);
	return 0;
}

/* Return to the namespace saved by netns_enter. A thread that cannot get back would go on
 * configuring the wrong namespace (the host's links, routes and rules) for every later request it
 * serves: there is no safe way to continue, so this aborts rather than return an error. */
static void netns_leave(int self)
{
	if (setns(self, CLONE_NEWNET) < 0)
		abort();
	close(self);
}

int netlink_open(int netns_fd, struct nl_sock **ret_sock)
{
	_cleanup_nlsock_ struct nl_sock *sock = nl_socket_alloc();
	int self = -EBADF, r;

	if (!sock)
		return -ENOMEM;
	if (nl_socket_modify_err_cb(sock, NL_CB_CUSTOM, capture_error, NULL) < 0)
		return -ENOMEM;
	if (netns_fd >= 0) {
		r = netns_enter(netns_fd, &self);
		if (r < 0)
			return r;
	}
	/* libnl creates the socket with SOCK_CLOEXEC inside nl_connect. */
	r = netlink_errno(nl_connect(sock, NETLINK_ROUTE));
	if (netns_fd >= 0)
		netns_leave(self);
	if (r < 0)
		return r;
	*ret_sock = TAKE_PTR(sock);
	return 0;
}

int netlink_netns_open_pid(pid_t pid)
{
	char path[64];
	int fd;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? negerrno() : fd;
}

int netlink_in_netns(int netns_fd, int (*fn)(void *arg), void *arg)
{
	int self = -EBADF, r;

	if (netns_fd < 0)
		return fn(arg);
	r = netns_enter(netns_fd, &self);
	if (r < 0)
		return r;
	r = fn(arg);
	netns_leave(self);
	return r;
}

int netlink_ifindex(struct nl_sock *sock, const char *name)
{
	_cleanup_nllink_ struct rtnl_link *link = NULL;
	int r = netlink_errno(rtnl_link_get_kernel(sock, 0, name, &link));

	if (r == -ENOENT)
		return -ENODEV;
	return r < 0 ? r : rtnl_link_get_ifindex(link);
}

int netlink_link_up(struct nl_sock *sock, int ifindex)
{
	_cleanup_nllink_ struct rtnl_link *orig = rtnl_link_alloc();
	_cleanup_nllink_ struct rtnl_link *change = rtnl_link_alloc();

	if (!orig || !change)
		return -ENOMEM;
	rtnl_link_set_ifindex(orig, ifindex);
	rtnl_link_set_flags(change, IFF_UP);
	return netlink_errno(rtnl_link_change(sock, orig, change, 0));
}

int netlink_addr_add(struct nl_sock *sock, int ifindex, struct in_addr addr, unsigned prefix)
{
	_cleanup_(netlink_addr_putp) struct rtnl_addr *ra = rtnl_addr_alloc();
	_cleanup_(netlink_nladdr_putp) struct nl_addr *local = NULL;

	if (!ra)
		return -ENOMEM;
	local = nl_addr_build(AF_INET, &addr, sizeof(addr));
	if (!local)
		return -ENOMEM;
	nl_addr_set_prefixlen(local, (int) prefix);
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, AF_INET);
	rtnl_addr_set_prefixlen(ra, (int) prefix);
	int r = netlink_errno(rtnl_addr_set_local(ra, local));
	if (r < 0)
		return r;
	/* As `ip addr add ... brd +` does: without it the subnet has no broadcast address. */
	if (prefix < 31) {
		struct in_addr brd = {htonl(ntohl(addr.s_addr) | (0xffffffffu >> prefix))};
		_cleanup_(netlink_nladdr_putp) struct nl_addr *b =
			nl_addr_build(AF_INET, &brd, sizeof(brd));
		if (!b)
			return -ENOMEM;
		rtnl_addr_set_broadcast(ra, b);
	}
	return netlink_errno(rtnl_addr_add(sock, ra, NLM_F_EXCL));
}

int netlink_link_delete(struct nl_sock *sock, const char *name)
{
	_cleanup_nllink_ struct rtnl_link *link = rtnl_link_alloc();
	int r;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	r = netlink_errno(rtnl_link_delete(sock, link));
	return r == -ENOENT ? -ENODEV : r;
}

int netlink_sysctl_write(const char *path, const char *value)
{
	char full[PATH_MAX];
	_cleanup_close_ int fd = -EBADF;

	if (snprintf(full, sizeof(full), "/proc/sys/%s", path) >= (int) sizeof(full))
		return -ENAMETOOLONG;
	fd = open(full, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	return fileio_write_full(fd, value, strlen(value));
}

bool netlink_ifname_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' || (unsigned char) name[i] <= ' ' ||
		    name[i] == 0x7f)
			return false;
	return true;
}

int netlink_link_kind(struct nl_sock *sock, const char *name, char *kind, size_t n)
{
	_cleanup_nllink_ struct rtnl_link *link = NULL;
	int r = netlink_errno(rtnl_link_get_kernel(sock, 0, name, &link));
	const char *type;

	if (r == -ENOENT)
		return -ENODEV;
	if (r < 0)
		return r;
	type = rtnl_link_get_type(link);
	snprintf(kind, n, "%s", type ? type : "");
	return 0;
}

void netlink_mac_from_addr(struct in_addr addr, unsigned char mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	memcpy(mac + 2, &addr.s_addr, 4);
}

struct nl_addr *netlink_mac_build(const unsigned char mac[6])
{
	return nl_addr_build(AF_LLC, mac, 6);
}
