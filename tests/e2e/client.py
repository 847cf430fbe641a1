#!/usr/bin/env python3
"""A ctrfs client in python that uses only os (and sys for argv and exit).

usage: client.py MOUNTPOINT
Drives a container through its whole life and checks exact values and errno numbers.
"""
import os
import sys

EPERM, ENOENT, EAGAIN, EACCES, EBUSY, EEXIST, EINVAL = 1, 2, 11, 13, 16, 17, 22


def fail(msg):
    sys.stderr.write("FAIL: client.py: %s\n" % msg)
    sys.exit(1)


def step(msg):
    sys.stdout.write("== python: %s\n" % msg)
    sys.stdout.flush()


def read(path, flags=0):
    fd = os.open(path, os.O_RDONLY | flags)
    try:
        out = b""
        while True:
            b = os.read(fd, 65536)
            if not b:
                return out.decode()
            out += b
    finally:
        os.close(fd)


def write(path, text):
    data = text.encode()
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        n = os.write(fd, data)
    finally:
        os.close(fd)
    if n != len(data):
        fail("write of %r to %s returned %d, not %d" % (text, path, n, len(data)))


def expect_eq(want, got, what):
    if want != got:
        fail("%s: expected %r, got %r" % (what, want, got))


def expect_errno(want, fn, *args):
    try:
        fn(*args)
    except OSError as e:
        if e.errno != want:
            fail("%s%r: errno %d (%s), expected %d (%s)" % (
                fn.__name__, args, e.errno, os.strerror(e.errno), want, os.strerror(want)))
        return
    fail("%s%r succeeded, expected errno %d (%s)" % (fn.__name__, args, want,
                                                     os.strerror(want)))


def is_hex64(s):
    return len(s) == 64 and all(c in "0123456789abcdef" for c in s)


def main():
    mnt = sys.argv[1]
    C = os.path.join(mnt, "containers")
    d = os.path.join(C, "py")

    step("version and an empty containers/")
    if not read(os.path.join(mnt, "version")).startswith("ctrfs "):
        fail("version does not start with 'ctrfs '")
    expect_eq([], os.listdir(C), "os.listdir(containers)")

    step("create")
    expect_errno(EINVAL, os.mkdir, os.path.join(C, ".py"))
    expect_errno(EINVAL, os.mkdir, os.path.join(C, "p" * 65))
    os.mkdir(d, 0o755)
    expect_errno(EEXIST, os.mkdir, d)
    expect_eq(["py"], os.listdir(C), "os.listdir(containers)")
    cid = read(d + "/id")
    if not cid.endswith("\n") or not is_hex64(cid[:-1]):
        fail("id is %r" % cid)
    cid = cid[:-1]
    # for the leak check of lib.sh: nothing may hold this id after the rmdir
    fd = os.open(os.path.join(os.environ["T"], "ids"), os.O_WRONLY | os.O_APPEND)
    os.write(fd, ("%s py\n" % cid).encode())
    os.close(fd)
    expect_eq("created\n", read(d + "/status"), "status")
    expect_eq("busybox\n", read(d + "/image"), "image")

    step("configure")
    write(d + "/cmd", 'sh -c "echo from python; echo \\"$A\\" >&2; exit 12"\n')
    write(d + "/env", "A=1 2\n")
    expect_eq("A=1 2\n", read(d + "/env"), "env")
    expect_errno(EINVAL, write, d + "/env", "bad line\n")
    expect_eq("A=1 2\n", read(d + "/env"), "env after a rejected write")
    expect_errno(ENOENT, write, d + "/image", "nosuch\n")
    expect_errno(EINVAL, write, d + "/workdir", "relative\n")
    expect_errno(EACCES, os.open, d + "/newfile", os.O_WRONLY | os.O_CREAT, 0o644)
    expect_errno(EPERM, os.unlink, d + "/status")
    expect_errno(EINVAL, write, d + "/ctl", "bogus\n")
    if not read(d + "/error").strip():
        fail("error is empty after a failed write")
    expect_errno(EBUSY, write, d + "/ctl", "kill\n")

    step("run (no newline in the write), wait, state")
    write(d + "/ctl", "run")
    expect_eq("12\n", read(d + "/wait"), "wait")
    expect_eq("exited 12\n", read(d + "/status"), "status")
    expect_eq("12\n", read(d + "/exitcode"), "exitcode")
    expect_eq("from python\n1 2\n", read(d + "/logs"), "logs")
    expect_eq("from python\n1 2\n", read(d + "/logs-now"), "logs-now")
    expect_eq(len("from python\n1 2\n"), os.stat(d + "/logs").st_size, "size of logs")

    step("a running container: EBUSY, EAGAIN, stop")
    write(d + "/cmd", "sh -c 'echo up; exec sleep 1000'\n")
    write(d + "/ctl", "run\n")
    pid = read(d + "/pid").strip()
    if not pid.isdigit() or not os.path.isdir("/proc/" + pid):
        fail("pid %r is not a live process" % pid)
    expect_eq("running\n", read(d + "/status"), "status")
    expect_errno(EBUSY, write, d + "/ctl", "run\n")
    expect_errno(EBUSY, write, d + "/cmd", "true\n")
    expect_errno(EBUSY, os.rmdir, d)
    expect_eq(["py"], os.listdir(C), "os.listdir(containers) after a refused rmdir")
    # read what there is with O_NONBLOCK: then EAGAIN, not end-of-file
    fd = os.open(d + "/logs", os.O_RDONLY | os.O_NONBLOCK)
    try:
        got = b""
        for _ in range(1000):
            try:
                b = os.read(fd, 65536)
            except OSError as e:
                if e.errno != EAGAIN:
                    fail("O_NONBLOCK read at the end: errno %d, expected EAGAIN" % e.errno)
                break
            if not b:
                fail("O_NONBLOCK read at the end returned end-of-file while running")
            got += b
        expect_eq(b"from python\n1 2\nup\n", got, "logs read with O_NONBLOCK")
    finally:
        os.close(fd)
    write(d + "/ctl", "stop 1\n")
    expect_eq("exited 137\n", read(d + "/status"), "status after stop")
    expect_eq("137\n", read(d + "/wait"), "wait after stop")
    expect_eq("", read(d + "/pid").strip(), "pid after stop")
    if os.path.exists("/proc/" + pid) and read("/proc/%s/stat" % pid).split(") ")[1][0] != "Z":
        fail("pid %s still runs after stop" % pid)

    step("remove")
    os.rmdir(d)
    expect_eq([], os.listdir(C), "os.listdir(containers) after rmdir")
    expect_errno(ENOENT, os.stat, d)
    expect_errno(ENOENT, os.rmdir, d)
    step("ok")


main()
