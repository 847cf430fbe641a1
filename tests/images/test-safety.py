#!/usr/bin/env python3
"""Hostile archives: names with "..", absolute names, links out of the layer, writes through a
symlink the archive planted, device nodes, overlay xattrs. Each is rejected with EINVAL and
leaves nothing behind, or is contained (noted per case); nothing outside the store changes."""
import hashlib
import os
import tarfile

from imglib import Scratch, check, docker_save, done, make_tar, require_root, sha

require_root()
s = Scratch()


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


try:
    outside = s.path("outside")  # what an escape would hit
    os.mkdir(outside)
    victim = os.path.join(outside, "victim")
    open(victim, "w").write("untouched\n")
    passwd = digest("/etc/passwd")
    depth = "../" * 12
    cases = [
        ("dotdot", [("a", dict(data=b"a")), (depth + outside[1:] + "/x", dict(data=b"x"))]),
        ("dotdot-short", [("../../x", dict(data=b"x"))]),
        ("absolute", [(outside + "/x", dict(data=b"x"))]),
        ("absolute-etc", [("/etc/ctrfs-test-x", dict(data=b"x"))]),
        ("symlink-dir", [("evil", dict(kind=tarfile.SYMTYPE, link=outside)),
                         ("evil/x", dict(data=b"x"))]),
        ("symlink-etc", [("etc", dict(kind=tarfile.SYMTYPE, link="/etc")),
                         ("etc/ctrfs-test-x", dict(data=b"x"))]),
        ("symlink-rel", [("up", dict(kind=tarfile.SYMTYPE, link=depth)),
                         ("up/tmp/ctrfs-escape-x", dict(data=b"x"))]),
        ("hardlink-abs", [("pw", dict(kind=tarfile.LNKTYPE, link="/etc/passwd"))]),
        ("hardlink-dotdot", [("pw", dict(kind=tarfile.LNKTYPE, link=depth + "etc/passwd"))]),
        ("hardlink-via-symlink", [("e", dict(kind=tarfile.SYMTYPE, link="/etc")),
                                  ("pw", dict(kind=tarfile.LNKTYPE, link="e/passwd"))]),
        ("hardlink-missing", [("pw", dict(kind=tarfile.LNKTYPE, link="nothere"))]),
    ]
    for name, entries in cases:
        open(s.path(name + ".tar"), "wb").write(make_tar(entries))
        rc, out = s.tool("import", name, s.path(name + ".tar"))
        check(rc == 1 and "EINVAL" in out, f"{name}: rejected with EINVAL: {out.strip()}")

    # Contained: a symlink to a host file, then a regular file of the same name. The file
    # replaces the link in the layer; the host file is never opened.
    open(s.path("replace.tar"), "wb").write(make_tar([
        ("victim", dict(kind=tarfile.SYMTYPE, link=victim)),
        ("victim", dict(data=b"overwritten\n")),
        ("pw", dict(kind=tarfile.SYMTYPE, link="/etc/passwd")),
        ("pw", dict(kind=tarfile.LNKTYPE, link="victim")),
        ("dev/sda", dict(kind=tarfile.BLKTYPE)),
        ("dev/mem", dict(kind=tarfile.CHRTYPE)),
    ]))
    rc, out = s.tool("import", "replace", s.path("replace.tar"))
    check(rc == 0, "symlink then file of the same name: contained, imports: " + out.strip())
    lid = s.image_json("replace")["layers"][0]
    check(open(s.layer(lid, "victim")).read() == "overwritten\n" and
          not os.path.islink(s.layer(lid, "victim")), "the file replaced the link in the layer")
    check(os.stat(s.layer(lid, "pw")).st_ino == os.stat(s.layer(lid, "victim")).st_ino,
          "the hard link replaced the link too, pointing inside")
    check(not os.path.lexists(s.layer(lid, "dev/sda")) and
          not os.path.lexists(s.layer(lid, "dev/mem")), "no device nodes created")

    # A layer may not steer overlayfs: trusted.overlay.* xattrs from the archive are dropped.
    import io
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        t = tarfile.TarInfo("d")
        t.type = tarfile.DIRTYPE
        t.mode = 0o755
        t.pax_headers = {"SCHILY.xattr.trusted.overlay.opaque": "y",
                         "SCHILY.xattr.trusted.overlay.redirect": "/etc",
                         "SCHILY.xattr.user.note": "kept"}
        tf.addfile(t)
    open(s.path("xattr.tar"), "wb").write(buf.getvalue())
    rc, out = s.tool("import", "xattr", s.path("xattr.tar"))
    lid = s.image_json("xattr")["layers"][0] if rc == 0 else None
    check(rc == 0 and os.listxattr(s.layer(lid, "d")) == ["user.note"],
          "trusted.overlay.* from an archive dropped, user.* kept")

    # The same attacks inside a docker-save layer, and a whiteout of "..".
    bad = make_tar([("ok", dict(data=b"ok")), ("../../../x", dict(data=b"x"))])
    docker_save(s.path("dock.tar"), [make_tar([("a", dict(data=b"a"))]), bad], {"config": {}})
    rc, out = s.tool("import", "dock", s.path("dock.tar"))
    check(rc == 1 and "EINVAL" in out, "docker-save layer with ../ -> EINVAL")
    docker_save(s.path("wh.tar"), [make_tar([("d/.wh...", dict())])], {"config": {}})
    rc, out = s.tool("import", "wh", s.path("wh.tar"))
    check(rc == 1 and "EINVAL" in out, "whiteout of .. -> EINVAL: " + out.strip())

    check(os.listdir(outside) == ["victim"] and open(victim).read() == "untouched\n",
          "nothing was written outside the store")
    check(not os.path.exists("/etc/ctrfs-test-x") and digest("/etc/passwd") == passwd,
          "/etc untouched")
    check(not os.path.exists(os.path.join(s.root, "x")) and
          not os.path.exists(os.path.join(s.data, "x")) and not os.path.exists("/tmp/ctrfs-escape-x"),
          "no file escaped by ../")
    check(s.leftovers() == [], "rejected imports leave no temporary directories")
    check(sorted(os.listdir(os.path.join(s.data, "images"))) == ["replace", "xattr"],
          "only the accepted images exist")
finally:
    s.close()
done()
