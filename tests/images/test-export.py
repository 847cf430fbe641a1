#!/usr/bin/env python3
"""Export: a `docker save` + OCI layout tar whose layers carry `.wh.` entries again; imported
back into the same store it gives the same layer ids; into a fresh store, exporting again
gives the same bytes for every layer (a fixed point)."""
import hashlib
import json
import os
import tarfile

from imglib import Scratch, check, docker_save, done, make_tar, require_root, sha

require_root()
s = Scratch()


def members(path):
    with tarfile.open(path) as tf:
        return {m.name: (tf.extractfile(m).read() if m.isfile() else None) for m in tf}


try:
    l1 = make_tar([("etc/old", dict(data=b"old")), ("opt/a", dict(data=b"a")),
                   ("bin/tool", dict(data=b"t", mode=0o4755)),
                   ("bin/sh", dict(kind=tarfile.SYMTYPE, link="tool"))])
    l2 = make_tar([("etc/.wh.old", dict()), ("opt", dict(kind=tarfile.DIRTYPE, mode=0o755)),
                   ("opt/.wh..wh..opq", dict()), ("opt/c", dict(data=b"c"))])
    cfg = {"config": {"Cmd": ["run"], "Env": ["A=1"], "WorkingDir": "/srv"}}
    ids = docker_save(s.path("in.tar"), [l1, l2], cfg)
    rc, out = s.tool("import", "img", s.path("in.tar"))
    check(rc == 0, "import")
    rc, out = s.tool("export", "img", s.path("out.tar"))
    check(rc == 0, "export: " + out.strip())
    m = members(s.path("out.tar"))
    check({"manifest.json", "index.json", "oci-layout"} <= set(m), "docker and OCI metadata")
    man = json.loads(m["manifest.json"])[0]
    check(man["RepoTags"] == ["img:latest"] and len(man["Layers"]) == 2, "manifest.json")
    cfgj = json.loads(m[man["Config"]])
    check(cfgj["config"]["Cmd"] == ["run"] and cfgj["config"]["WorkingDir"] == "/srv",
          "config carries cmd and workdir")
    blobs_ok = all(sha(m[k]) == k.rsplit("/", 1)[1] for k in m if k.startswith("blobs/sha256/"))
    check(blobs_ok, "every blob is named by its sha256")
    check(cfgj["rootfs"]["diff_ids"] == ["sha256:" + l.rsplit("/", 1)[1] for l in man["Layers"]],
          "diff_ids are the layer tars' sha256")
    with tarfile.open(fileobj=__import__("io").BytesIO(m[man["Layers"][1]])) as lt:
        names = lt.getnames()
    check("etc/.wh.old" in names and "opt/.wh..wh..opq" in names,
          "whiteouts exported as .wh. entries: " + " ".join(names))

    rc, out = s.tool("import", "again", s.path("out.tar"))
    check(rc == 0 and s.image_json("again")["layers"] == ids,
          "re-import into the same store: same layer ids")
    check(len([n for n in os.listdir(os.path.join(s.data, "layers"))
               if not os.path.islink(os.path.join(s.data, "layers", n))]) == 2,
          "nothing stored twice")

    d2 = s.path("data2")
    rc, out = s.tool("import", "fresh", s.path("out.tar"), data=d2)
    fresh = s.image_json("fresh", data=d2)
    check(rc == 0 and fresh["layers"] == [l.rsplit("/", 1)[1] for l in man["Layers"]],
          "into a fresh store: ids are the exported diff_ids")
    check(fresh["cmd"] == ["run"] and fresh["env"] == ["A=1"] and fresh["workdir"] == "/srv",
          "config survives the round trip")
    rc, out = s.tool("export", "fresh", s.path("out2.tar"), data=d2)
    m2 = members(s.path("out2.tar"))
    man2 = json.loads(m2["manifest.json"])[0]
    check(rc == 0 and man2["Layers"] == man["Layers"], "export again: the same layer blobs")
    L = os.path.join(d2, "layers", fresh["layers"][0])
    check(os.stat(os.path.join(L, "bin/tool")).st_mode & 0o7777 == 0o4755 and
          os.readlink(os.path.join(L, "bin/sh")) == "tool", "setuid and symlink survive")
    rc, out = s.tool("export", "nope", s.path("x.tar"))
    check(rc == 1 and "ENOENT" in out, "export of a missing image -> ENOENT")
finally:
    s.close()
done()
