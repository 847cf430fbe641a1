#!/usr/bin/env python3
"""Commit: changes made through a real overlay mount (in a private mount namespace) become a
layer; the whiteout of a deleted file and the opaque mark of a replaced dir carry over; the
volume's contents stay out; an overlay of the new image shows the changes."""
import os
import subprocess
import tarfile

from imglib import (Scratch, check, docker_save, done, is_whiteout, make_tar, opaque,
                    require_root)

require_root()
s = Scratch()


def in_overlay(lower_layers, upper, work, merged, script):
    lower = ":".join(os.path.join(s.data, "layers", l) for l in reversed(lower_layers))
    os.makedirs(upper, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    os.makedirs(merged, exist_ok=True)
    sh = (f"mount -t overlay overlay -o lowerdir={lower},upperdir={upper},workdir={work} "
          f"{merged} && cd {merged} && {script}")
    return subprocess.run(["unshare", "-m", "sh", "-ec", sh], capture_output=True, text=True)


try:
    l1 = make_tar([("etc/old", dict(data=b"old")), ("etc/keep", dict(data=b"keep")),
                   ("opt/a", dict(data=b"a")), ("opt/b", dict(data=b"b"))])
    docker_save(s.path("base.tar"), [l1], {"config": {"Cmd": ["sh"], "Env": ["A=1"]}})
    rc, out = s.tool("import", "base", s.path("base.tar"))
    check(rc == 0, "base image imports")
    base = s.image_json("base")["layers"]
    up, wk = s.path("upper"), s.path("work")
    r = in_overlay(base, up, wk, s.path("m1"),
                   "rm etc/old && rm -rf opt && mkdir opt && echo c > opt/c && "
                   "echo new > etc/new && mkdir data && echo secret > data/secret && "
                   "echo 10 > hl1 && ln hl1 hl2 && dd if=/dev/zero of=big bs=1M count=10 2>/dev/null")
    check(r.returncode == 0, "changes made through an overlay mount: " + r.stderr.strip())
    check(is_whiteout(os.path.join(up, "etc/old")) and opaque(os.path.join(up, "opt")),
          "the upper dir holds a whiteout and an opaque dir")

    rc, out = s.tool("commit", up, "base", "v2", "--cmd", "run", "--exclude", "/data")
    check(rc == 0, "commit: " + out.strip())
    j = s.image_json("v2")
    check(j["layers"][:-1] == base and len(j["layers"]) == 2, "new layer on top of the base's")
    check(j["cmd"] == ["run"] and j["env"] == ["A=1"], "cmd given, env from the base")
    top = j["layers"][-1]
    L = lambda *p: s.layer(top, *p)
    check(open(L("etc/new")).read() == "new\n", "new file in the layer")
    check(is_whiteout(L("etc/old")), "the deletion is a whiteout in the layer")
    check(opaque(L("opt")) and os.listdir(L("opt")) == ["c"], "the replaced dir is opaque")
    check(os.path.isdir(L("data")) and os.listdir(L("data")) == [],
          "the volume mount point is kept, its contents left out")
    check(os.stat(L("hl1")).st_ino == os.stat(L("hl2")).st_ino, "hard links kept")
    check(not any(x.startswith("trusted.overlay.") and x != "trusted.overlay.opaque"
                  for p in ("etc/new", "opt", "big") for x in os.listxattr(L(p))),
          "overlay bookkeeping xattrs dropped")

    r = in_overlay(j["layers"], s.path("u2"), s.path("w2"), s.path("m2"),
                   "cat etc/new; ls opt; ls etc; ls data; test ! -e etc/old && echo gone")
    check(r.returncode == 0 and r.stdout.split() == ["new", "c", "keep", "new", "gone"],
          "an overlay of the new image shows the changes: " + " ".join(r.stdout.split()))

    rc, out = s.tool("commit", up, "base", "v2")
    check(rc == 1 and "EEXIST" in out, "commit onto a taken name -> EEXIST")
    rc, out = s.tool("commit", up, "nope", "v3")
    check(rc == 1 and "ENOENT" in out, "commit on a missing base -> ENOENT")
    rc, out = s.tool("commit", up, "base", "v3", "--cmd", "run", "--exclude", "/data")
    check(rc == 0 and s.image_json("v3")["layers"] == j["layers"],
          "the same upper commits to the same layer id (stored once)")
    check(s.leftovers() == [], "no temporary entries left")
finally:
    s.close()
done()
