#!/usr/bin/env python3
"""Find what an e2e test left behind (uses only os and sys).

usage: leaks.py check-running   print one line per leak, exit 1 if any (retries for 3 s);
                                the daemon still runs and may keep its idle helpers
       leaks.py check-stopped   the same once the daemon has stopped: nothing may be left
       leaks.py kill       SIGKILL the leaked processes (for the cleanup trap)
       leaks.py snapshot   print the cgroup directories below our own memory cgroup
       leaks.py cgroup     print our own memory cgroup directory

Environment (set by lib.sh): T (temp dir), MNT, DPID (daemon pid, may be empty),
SHELL_PID (the test's shell), STATE_DIR, DATA_DIR; files $T/pids ("PID STARTTIME NAME"),
$T/ids ("ID NAME"), $T/cgroups.before (a snapshot).

A leak is:
  - a process in our network or mount namespace (created by run-in-ns.sh for this test
    alone) that is neither the daemon nor a descendant of the test's shell (a descendant
    of the daemon is a leak: the daemon must not keep children around);
  - a recorded container init (pid and start time) still alive;
  - a mount below $T other than the one ctrfs mount at $MNT, or an overlay naming $T;
  - a cgroup directory below our memory cgroup (v1) or our cgroup (v2) that was not there
    at the start, other than the daemon's own cgroup and its parents;
  - a path in the state or data dir whose name or content holds a removed container's id.
"""
import os
import signal
import sys
import time

env = os.environ
# how many warm standby monitors a running daemon keeps (engine-internal.h STANDBY_MONITORS)
STANDBY = 2


def read(path):
    with open(path, "rb") as f:
        return f.read().decode(errors="replace")


def own_cgroup(pid="self"):
    lines = read("/proc/%s/cgroup" % pid).splitlines()
    for line in lines:
        hid, ctrls, path = line.split(":", 2)
        if "memory" in ctrls.split(","):
            return "/sys/fs/cgroup/memory" + path.rstrip("/")
    for line in lines:
        hid, ctrls, path = line.split(":", 2)
        if hid == "0" and ctrls == "":
            if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
                return "/sys/fs/cgroup" + path.rstrip("/")
    return None


def cgroup_dirs(base):
    out = []
    if not base or not os.path.isdir(base):
        return out
    for root, dirs, _files in os.walk(base):
        for d in dirs:
            out.append(os.path.join(root, d))
    return sorted(out)


def procs():
    """pid -> (ppid, starttime, comm)"""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = read("/proc/%s/stat" % name)
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(name)] = (int(fields[1]), fields[19], comm)
    return table


def ns(pid, kind):
    try:
        return os.readlink("/proc/%s/ns/%s" % (pid, kind))
    except OSError:
        return None


def recorded(fname):
    rows = []
    try:
        for line in read(fname).splitlines():
            if line.strip():
                rows.append(line.split())
    except OSError:
        pass
    return rows


def leaked_pids():
    """[(pid, why)]"""
    daemon = int(env["DPID"]) if env.get("DPID") else -1
    shell = int(env["SHELL_PID"])
    me = os.getpid()
    table = procs()
    my_net, my_mnt = ns("self", "net"), ns("self", "mnt")
    found = []

    def allowed(pid):
        if pid == daemon:
            return True
        p = pid
        seen = 0
        while p > 1 and seen < 10000:
            if p == shell or p == me:
                return True
            if p == daemon:
                return False
            p = table.get(p, (0,))[0]
            seen += 1
        return False

    for pid, (ppid, _st, comm) in table.items():
        if pid == me:
            continue
        if ns(pid, "net") != my_net and ns(pid, "mnt") != my_mnt:
            continue
        if not allowed(pid):
            found.append((pid, "process %d (%s, parent %d) is in the test's namespaces"
                          % (pid, comm, ppid)))
    for row in recorded(os.path.join(env["T"], "pids")):
        pid, start, name = int(row[0]), row[1], row[2] if len(row) > 2 else "?"
        if pid in table and table[pid][1] == start:
            found.append((pid, "init %d of container %s (%s) is still alive"
                          % (pid, name, table[pid][2])))
    return found


def recorded_pids():
    return set(int(row[0]) for row in recorded(os.path.join(env["T"], "pids")))


def leaked_mounts(running):
    """Below $T only the ctrfs mount at $MNT, once, and only while the daemon runs."""
    T, MNT = env["T"].rstrip("/"), env["MNT"].rstrip("/")
    out = []
    at_mnt = 0
    for line in read("/proc/self/mountinfo").splitlines():
        pre, post = line.split(" - ", 1)
        mp = pre.split()[4].replace("\\040", " ")
        fstype = post.split()[0]
        if mp == MNT and running:
            at_mnt += 1
            if at_mnt > 1:
                out.append("mount %s stacked at %s" % (fstype, mp))
            continue
        if mp.startswith(T + "/") or mp == T:
            out.append("mount %s at %s" % (fstype, mp))
        elif fstype == "overlay" and T in line:
            out.append("overlay at %s names %s" % (mp, T))
    return out


def leaked_cgroups():
    try:
        before = set(read(os.path.join(env["T"], "cgroups.before")).split())
    except OSError:
        before = set()
    keep = set()
    if env.get("DPID"):
        try:
            d = own_cgroup(env["DPID"])
            while d and d != "/":
                keep.add(d)
                d = os.path.dirname(d)
        except OSError:
            pass
    out = []
    for d in cgroup_dirs(own_cgroup()):
        if d not in before and d not in keep:
            out.append("cgroup %s" % d)
    return out


def leaked_state():
    ids = [row for row in recorded(os.path.join(env["T"], "ids"))]
    if not ids:
        return []
    out = []
    for top in (env.get("STATE_DIR"), env.get("DATA_DIR")):
        if not top or not os.path.isdir(top):
            continue
        for root, dirs, files in os.walk(top):
            for name in dirs + files:
                path = os.path.join(root, name)
                for row in ids:
                    if len(row) > 1 and name == row[1] and os.path.basename(root) == "containers":
                        out.append("%s (the directory of removed container %s)" % (path, row[1]))
                    if row[0] in name:
                        out.append("%s (name holds the id of removed container %s)"
                                   % (path, row[1]))
                if name in files and not os.path.islink(path):
                    try:
                        if os.path.getsize(path) > 1 << 20:
                            continue
                        data = read(path)
                    except OSError:
                        continue
                    for row in ids:
                        if row[0] in data:
                            out.append("%s (content holds the id of removed container %s)"
                                       % (path, row[1]))
    return out


def main():
    mode = sys.argv[1]
    if mode == "cgroup":
        print(own_cgroup() or "")
        return 0
    if mode == "snapshot":
        print("\n".join(cgroup_dirs(own_cgroup())))
        return 0
    if mode == "kill":
        victims = list(leaked_pids())
        # a container's init lives in namespaces of its own: find it by its cgroup, which
        # cannot be removed while it runs (every cgroup below ours was made by this test)
        for d in cgroup_dirs(own_cgroup()):
            try:
                pids = read(os.path.join(d, "cgroup.procs")).split()
            except OSError:
                continue  # removed meanwhile
            victims += [(int(p), "process %s in the leftover cgroup %s" % (p, d)) for p in pids]
        for pid, why in victims:
            if pid == os.getpid():
                continue
            print("cleanup: killing " + why)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        return 0
    if mode in ("check-running", "check-stopped"):
        running = mode == "check-running"
        deadline = time.monotonic() + 3
        while True:
            procs = leaked_pids()
            cgroups = leaked_cgroups()
            spare = []
            if running:
                # a running daemon may keep its idle helpers (STANDBY warm standby monitors,
                # each in its own cgroup); they must be gone once the daemon has stopped
                helpers = [w for p, w in procs if p not in recorded_pids()]
                if len(helpers) <= STANDBY and len(cgroups) <= STANDBY:
                    spare = helpers + cgroups
                    procs = [(p, w) for p, w in procs if p in recorded_pids()]
                    cgroups = []
            leaks = [w for _p, w in procs] + cgroups
            leaks += leaked_mounts(running) + leaked_state()
            if not leaks or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        for w in spare:
            print("note: allowed while the daemon runs: " + w)
        for w in leaks:
            print("LEAK: " + w)
        if running and leaks and not spare:
            print("LEAK: (a running daemon may keep %d idle helper processes and cgroups;"
                  " more is a leak, and some of those listed may be them)" % STANDBY)
        return 1 if leaks else 0
    print("bad mode", file=sys.stderr)
    return 2


sys.exit(main())
