#!/usr/bin/env python3
"""Import of each format: plain rootfs tar (and .tar.gz), `docker save` with a whiteout and an
opaque dir, OCI layout as a directory and as a tar; and the errors of a failed import."""
import gzip
import os
import stat
import tarfile

from imglib import (Scratch, check, docker_save, done, is_whiteout, make_tar, oci_layout, opaque,
                    require_root, sha, tar_dir)

require_root()
s = Scratch()
try:
    rootfs = make_tar([
        ("./", dict(kind=tarfile.DIRTYPE, mode=0o755)),
        ("./bin", dict(kind=tarfile.DIRTYPE, mode=0o755)),
        ("./bin/tool", dict(data=b"#!/bin/sh\n", mode=0o4755)),
        ("./bin/sh", dict(kind=tarfile.SYMTYPE, link="tool")),
        ("./etc/hello", dict(data=b"hello\n", uid=1000, gid=1001)),
        ("./etc/hi", dict(kind=tarfile.LNKTYPE, link="./etc/hello")),
        ("./dev/null", dict(kind=tarfile.CHRTYPE)),
        ("./tmp", dict(kind=tarfile.DIRTYPE, mode=0o1777)),
    ])
    open(s.path("rootfs.tar"), "wb").write(rootfs)
    open(s.path("rootfs.tar.gz"), "wb").write(gzip.compress(rootfs))

    rc, out = s.tool("import", "plain", s.path("rootfs.tar"))
    check(rc == 0, "plain rootfs tar imports: " + out.strip())
    j = s.image_json("plain")
    check(j["layers"] == [sha(rootfs)], "the layer id is the sha256 of the tar stream")
    L = s.layer(sha(rootfs))
    check(open(os.path.join(L, "etc/hello")).read() == "hello\n", "file content")
    st = os.stat(os.path.join(L, "bin/tool"))
    check(stat.S_IMODE(st.st_mode) == 0o4755, "setuid bit kept")
    st = os.stat(os.path.join(L, "etc/hello"))
    check((st.st_uid, st.st_gid) == (1000, 1001), "owner kept")
    check(st.st_nlink == 2 and os.stat(os.path.join(L, "etc/hi")).st_ino == st.st_ino,
          "hard link kept")
    check(os.readlink(os.path.join(L, "bin/sh")) == "tool", "symlink kept")
    check(not os.path.lexists(os.path.join(L, "dev/null")), "device node not created")
    check(stat.S_IMODE(os.stat(os.path.join(L, "tmp")).st_mode) == 0o1777, "sticky dir mode")
    check(int(os.stat(os.path.join(L, "etc/hello")).st_mtime) == 1700000000, "mtime kept")
    check(j["cmd"] == [] and j["workdir"] == "/", "a rootfs has no default cmd, workdir /")

    rc, out = s.tool("import", "gz", s.path("rootfs.tar.gz"))
    check(rc == 0, "gzip rootfs imports")
    check(s.image_json("gz")["layers"] == [sha(rootfs)],
          "gzip: the id is the sha256 of the uncompressed stream, so the layer is shared")

    # docker save: layer 2 deletes etc/old, makes opt/ opaque
    l1 = make_tar([("etc/old", dict(data=b"old")), ("etc/keep", dict(data=b"keep")),
                   ("opt/a", dict(data=b"a")), ("opt/b", dict(data=b"b"))])
    l2 = make_tar([("etc/.wh.old", dict()), ("opt", dict(kind=tarfile.DIRTYPE, mode=0o755)),
                   ("opt/.wh..wh..opq", dict()), ("opt/c", dict(data=b"c"))])
    cfg = {"config": {"Entrypoint": ["/bin/ep"], "Cmd": ["run", "x"], "Env": ["A=1", "PATH=/bin"],
                      "WorkingDir": "/srv"}}
    ids = docker_save(s.path("docker.tar"), [l1, l2], cfg)
    rc, out = s.tool("import", "dock", s.path("docker.tar"))
    check(rc == 0, "docker-save tar imports: " + out.strip())
    j = s.image_json("dock")
    check(j["layers"] == ids, "docker layers in order, ids = diff_ids")
    check(j["cmd"] == ["/bin/ep", "run", "x"], "cmd = Entrypoint + Cmd")
    check(j["env"] == ["A=1", "PATH=/bin"] and j["workdir"] == "/srv", "env and workdir")
    check(is_whiteout(s.layer(ids[1], "etc/old")), "whiteout is a char device 0:0")
    check(not os.path.lexists(s.layer(ids[1], "etc/.wh.old")), "no .wh. file left")
    check(opaque(s.layer(ids[1], "opt")), "opaque dir has trusted.overlay.opaque=y")
    check(not os.path.lexists(s.layer(ids[1], "opt/.wh..wh..opq")), "no .wh..wh..opq file left")

    # OCI layout directory, gzip layers
    oci = s.path("oci")
    ids = oci_layout(oci, [l1, l2], cfg)
    rc, out = s.tool("import", "ocidir", oci)
    check(rc == 0, "OCI layout directory imports: " + out.strip())
    j = s.image_json("ocidir")
    check(j["layers"] == ids, "OCI: layer ids are the diff_ids (uncompressed)")
    check(j["cmd"] == ["/bin/ep", "run", "x"] and j["workdir"] == "/srv", "OCI config read")
    check(is_whiteout(s.layer(ids[1], "etc/old")) and opaque(s.layer(ids[1], "opt")),
          "OCI whiteout and opaque dir")
    tar_dir(oci, s.path("oci.tar"))
    rc, out = s.tool("import", "ocitar", s.path("oci.tar"))
    check(rc == 0 and s.image_json("ocitar")["layers"] == ids, "OCI layout tar imports")
    check(len(os.listdir(os.path.join(s.data, "layers"))) == 3,
          "4 images, 3 distinct layers stored")

    # errors
    rc, out = s.tool("import", "x", s.path("missing.tar"))
    check(rc == 1 and "ENOENT" in out, "missing path -> ENOENT")
    rc, out = s.tool("import", "plain", s.path("rootfs.tar"))
    check(rc == 1 and "EEXIST" in out, "name taken -> EEXIST")
    rc, out = s.tool("import", ".bad", s.path("rootfs.tar"))
    check(rc == 1 and "EINVAL" in out, "bad name -> EINVAL")
    open(s.path("junk"), "wb").write(os.urandom(5000))
    rc, out = s.tool("import", "junk", s.path("junk"))
    check(rc == 1 and "EINVAL" in out and "tar" in out, "unknown format -> EINVAL: " + out.strip())
    gz = gzip.compress(make_tar([("big", dict(data=os.urandom(300000)))]))
    open(s.path("trunc.tar.gz"), "wb").write(gz[: len(gz) // 2])
    rc, out = s.tool("import", "trunc", s.path("trunc.tar.gz"))
    check(rc == 1 and "EINVAL" in out, "truncated gzip -> EINVAL: " + out.strip())
    bad = bytearray(open(s.path("docker.tar"), "rb").read())
    i = bad.rfind(b"keep")
    bad[i:i + 4] = b"KEEP"  # corrupt a layer: its diff_id no longer matches
    open(s.path("bad-docker.tar"), "wb").write(bytes(bad))
    rc, out = s.tool("import", "bad", s.path("bad-docker.tar"))
    check(rc == 1 and "EINVAL" in out and "diff_id" in out, "corrupt layer -> EINVAL: " + out.strip())
    os.mkdir(s.path("notoci"))
    rc, out = s.tool("import", "notoci", s.path("notoci"))
    check(rc == 1 and "EINVAL" in out, "a plain directory -> EINVAL: " + out.strip())
    check(s.leftovers() == [], "failed imports leave no temporary layer or image")
    rc, out = s.tool("list")
    check(out.split() == ["dock", "gz", "ocidir", "ocitar", "plain"], "list: " + " ".join(out.split()))
finally:
    s.close()
done()
