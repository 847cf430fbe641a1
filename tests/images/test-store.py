#!/usr/bin/env python3
"""The store: a layer shared by two images is stored once (disk usage), tag, delete keeps
shared layers, gc removes what an interrupted import left, busybox gets a stable content id."""
import os
import shutil
import subprocess
import sys
import tarfile

from imglib import Scratch, check, docker_save, done, make_tar, require_root, sha

require_root()
s = Scratch()


def du(path):
    return int(subprocess.run(["du", "-sk", path], capture_output=True, text=True).stdout.split()[0])


try:
    base = make_tar([("big", dict(data=os.urandom(4 << 20)))])  # 4 MiB, incompressible
    top1 = make_tar([("one", dict(data=b"1"))])
    top2 = make_tar([("two", dict(data=b"2"))])
    docker_save(s.path("a.tar"), [base, top1], {"config": {"Cmd": ["a"]}})
    docker_save(s.path("b.tar"), [base, top2], {"config": {"Cmd": ["b"]}})
    rc, _ = s.tool("import", "a", s.path("a.tar"))
    used_one = du(os.path.join(s.data, "layers"))
    rc2, _ = s.tool("import", "b", s.path("b.tar"))
    used_two = du(os.path.join(s.data, "layers"))
    check(rc == 0 and rc2 == 0, "two images sharing a base layer import")
    a, b = s.image_json("a"), s.image_json("b")
    check(a["layers"][0] == b["layers"][0] == sha(base), "the shared layer has one id")
    check(len(os.listdir(os.path.join(s.data, "layers"))) == 3, "3 layer dirs for 4 layer refs")
    check(used_two - used_one < 64, f"the second image added {used_two - used_one} KiB, not 4 MiB")
    info = s.info("a")
    check(info is not None and int(info["size"]) >= 4 << 20, "info: size counts the layers (du)")
    check(info["cmd"] == "a" and info["layers"] == a["layers"], "info: cmd and layers")

    rc, out = s.tool("tag", "a", "a2")
    check(rc == 0 and s.image_json("a2")["layers"] == a["layers"], "tag makes a second name")
    rc, out = s.tool("tag", "a", "b")
    check(rc == 1 and "EEXIST" in out, "tag onto a taken name -> EEXIST")
    rc, out = s.tool("tag", "nope", "c")
    check(rc == 1 and "ENOENT" in out, "tag of a missing image -> ENOENT")

    rc, _ = s.tool("delete", "a")
    check(rc == 0 and os.path.isdir(s.layer(a["layers"][1])), "delete a: a2 still holds its layers")
    rc, _ = s.tool("delete", "a2")
    check(rc == 0 and not os.path.exists(s.layer(a["layers"][1])), "delete a2: its own layer goes")
    check(os.path.isdir(s.layer(sha(base))), "the base layer stays: b uses it")
    rc, _ = s.tool("delete", "b")
    check(rc == 0 and os.listdir(os.path.join(s.data, "layers")) == [], "last user gone: no layers")
    rc, out = s.tool("delete", "b")
    check(rc == 1 and "ENOENT" in out, "delete of a missing image -> ENOENT")
    check(os.listdir(os.path.join(s.data, "images")) == [], "no image dirs left")

    # What a killed import leaves: a .tmp- layer, a .tmp- image, an unreferenced layer.
    os.makedirs(os.path.join(s.data, "layers", ".tmp-deadbeef", "usr"))
    os.makedirs(os.path.join(s.data, "images", ".tmp-cafe"))
    os.makedirs(s.layer("ab" * 32))
    rc, _ = s.tool("import", "keep", s.path("b.tar"))
    rc, _ = s.tool("gc")
    check(rc == 0 and s.leftovers() == [], "gc removes temporary entries")
    check(not os.path.exists(s.layer("ab" * 32)), "gc removes unreferenced layers")
    check(all(os.path.isdir(s.layer(l)) for l in s.image_json("keep")["layers"]),
          "gc keeps the layers images use")

    # Disk full mid-import: a 2 MiB tmpfs as the data dir, in a private mount namespace.
    big = make_tar([("f%d" % i, dict(data=os.urandom(1 << 20))) for i in range(4)])
    open(s.path("big.tar"), "wb").write(big)
    small = s.path("small")
    os.mkdir(small)
    r = subprocess.run(["unshare", "-m", "sh", "-c",
                        f"mount -t tmpfs -o size=2m tmpfs {small} && "
                        f"{sys.argv[1]} {small}/data import big {s.path('big.tar')}; "
                        f"ls -A {small}/data/layers {small}/data/images"],
                       capture_output=True, text=True)
    check("ENOSPC" in r.stdout, "disk full -> ENOSPC: " + r.stdout.splitlines()[0])
    listed = [l for l in r.stdout.splitlines()[1:] if l and not l.endswith(":")]
    check(listed == [], "and nothing partial is left: " + " ".join(listed))

    bb = shutil.which("busybox")
    if bb and subprocess.run(["sh", "-c", f"file -L {bb} | grep -q static"]).returncode == 0:
        d2 = s.path("data2")
        rc1, o1 = s.tool("busybox", bb)
        rc2, o2 = s.tool("busybox", bb, data=d2)
        i1, i2 = s.image_json("busybox"), s.image_json("busybox", data=d2)
        check(rc1 == 0 and rc2 == 0 and i1["layers"] == i2["layers"],
              "busybox layer id is the same when built twice")
        check(os.path.islink(s.layer(i1["layers"][0], "bin/sh")) and i1["cmd"] == ["sh"],
              "busybox image: applet links, cmd sh")
    else:
        check(True, "# SKIP no static busybox")
finally:
    s.close()
done()
