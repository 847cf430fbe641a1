#!/usr/bin/env python3
"""Test archives for the e2e image tests, built with tarfile through ../images/imglib.py (nothing
is downloaded). The base content is the busybox layer taken from an export of ctrfs's own
busybox image (images/busybox/export), so the images made here run.

usage: gen.py rootfs EXPORT OUT [gz]   plain rootfs tar: busybox + etc/origin = "rootfs"
       gen.py docker EXPORT OUT        docker-save tar, 2 layers: layer 1 = busybox + data/old,
                                       data/keep, etc/origin = "docker"; layer 2 deletes
                                       data/old (.wh.old) and adds data/new
       gen.py oci EXPORT DIR           the same two layers (origin "oci") as an OCI layout dir
       gen.py ocitar EXPORT OUT        ... and as a tar of that layout (origin "ocitar")
       gen.py corrupt-docker EXPORT OUT  a docker-save tar whose layer 2 no longer matches its
                                       diff_id
       gen.py truncgz OUT              a gzip rootfs tar cut in half
       gen.py evil CASE OUT OUTSIDE    a hostile rootfs tar (see EVIL below); OUTSIDE is the
                                       host directory an escape would hit
       gen.py layer-ids EXPORT         print the layer ids (diff_ids) of an export, one a line
"""
import gzip
import io
import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "images"))
_argv, sys.argv = sys.argv, sys.argv[:1]  # imglib reads argv[1] as its imgtool path
from imglib import docker_save, make_tar, oci_layout, sha, tar_dir  # noqa: E402
sys.argv = _argv


def busybox_layer(export):
    with tarfile.open(export) as tf:
        man = json.load(tf.extractfile("manifest.json"))
        return tf.extractfile(man[0]["Layers"][0]).read()


def extend(layer, entries):
    """LAYER (tar bytes) followed by ENTRIES (imglib make_tar entries) -> tar bytes"""
    buf = io.BytesIO()
    extra = tarfile.open(fileobj=io.BytesIO(make_tar(entries)))
    with tarfile.open(fileobj=io.BytesIO(layer)) as src, \
            tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as out:
        for tf in (src, extra):
            for t in tf:
                out.addfile(t, tf.extractfile(t) if t.isreg() else None)
    return buf.getvalue()


def two_layers(export, origin):
    l1 = extend(busybox_layer(export), [
        ("data", dict(kind=tarfile.DIRTYPE, mode=0o755)),
        ("data/old", dict(data=b"old\n")),
        ("data/keep", dict(data=b"keep\n")),
        ("etc/origin", dict(data=origin.encode() + b"\n")),
    ])
    l2 = make_tar([
        ("data", dict(kind=tarfile.DIRTYPE, mode=0o755)),
        ("data/.wh.old", dict()),
        ("data/new", dict(data=b"new\n")),
    ])
    return l1, l2


CONFIG = {"config": {"Cmd": ["sh", "-c", "cat /etc/origin"], "Env": ["FROM_IMAGE=yes"],
                     "WorkingDir": "/data"}}


def evil(case, outside):
    depth = "../" * 16
    cases = {
        # relative to the layer's temp dir DATA/layers/.tmp-X: ../../etc/x is DATA/etc/x
        "dotdot": [("ok", dict(data=b"ok\n")), ("../../etc/x", dict(data=b"x\n"))],
        "dotdot-deep": [(depth + outside.lstrip("/") + "/x", dict(data=b"x\n"))],
        "absolute": [("ok", dict(data=b"ok\n")), (outside + "/x", dict(data=b"x\n"))],
        "absolute-etc": [("/etc/x", dict(data=b"x\n"))],
        "symlink-dir": [("etc", dict(kind=tarfile.SYMTYPE, link=outside)),
                        ("etc/x", dict(data=b"x\n"))],
        "symlink-etc": [("etc", dict(kind=tarfile.SYMTYPE, link="/etc")),
                        ("etc/ctrfs-e2e-evil", dict(data=b"x\n"))],
        "symlink-rel": [("up", dict(kind=tarfile.SYMTYPE, link=depth + outside.lstrip("/"))),
                        ("up/x", dict(data=b"x\n"))],
        "symlink-replace": [("victim", dict(kind=tarfile.SYMTYPE, link=outside + "/victim")),
                            ("victim", dict(data=b"overwritten\n"))],
        "hardlink-passwd": [("pw", dict(kind=tarfile.LNKTYPE, link="/etc/passwd"))],
        "hardlink-victim": [("v", dict(kind=tarfile.LNKTYPE, link=outside + "/victim"))],
        "hardlink-dotdot": [("v", dict(kind=tarfile.LNKTYPE,
                                       link=depth + outside.lstrip("/") + "/victim"))],
        "hardlink-via-symlink": [("e", dict(kind=tarfile.SYMTYPE, link=outside)),
                                 ("v", dict(kind=tarfile.LNKTYPE, link="e/victim"))],
        "device": [("dev", dict(kind=tarfile.DIRTYPE, mode=0o755)),
                   ("dev/mem", dict(kind=tarfile.CHRTYPE)),
                   ("dev/sda", dict(kind=tarfile.BLKTYPE))],
    }
    if case == "list":
        return "\n".join(cases) + "\n"
    return make_tar(cases[case])


def main():
    a = sys.argv[1:]
    cmd = a[0]
    if cmd == "rootfs":
        t = extend(busybox_layer(a[1]), [("etc/origin", dict(data=b"rootfs\n"))])
        open(a[2], "wb").write(gzip.compress(t) if a[3:] == ["gz"] else t)
    elif cmd == "docker":
        for i in docker_save(a[2], list(two_layers(a[1], "docker")), CONFIG):
            print("sha256:" + i)
    elif cmd == "oci":
        for i in oci_layout(a[2], list(two_layers(a[1], "oci")), CONFIG):
            print("sha256:" + i)
    elif cmd == "ocitar":
        d = a[2] + ".d"
        ids = oci_layout(d, list(two_layers(a[1], "ocitar")), CONFIG)
        tar_dir(d, a[2])
        for i in ids:
            print("sha256:" + i)
    elif cmd == "corrupt-docker":
        l1, l2 = two_layers(a[1], "corrupt")
        docker_save(a[2], [l1, l2], CONFIG)
        b = bytearray(open(a[2], "rb").read())
        i = b.rfind(b"new\n")
        b[i:i + 3] = b"NEW"
        open(a[2], "wb").write(bytes(b))
    elif cmd == "truncgz":
        gz = gzip.compress(make_tar([("big", dict(data=os.urandom(300000)))]))
        open(a[1], "wb").write(gz[: len(gz) // 2])
    elif cmd == "evil":
        if a[1] == "list":
            sys.stdout.write(evil("list", ""))
        else:
            open(a[2], "wb").write(evil(a[1], a[3]))
    elif cmd == "layer-ids":
        with tarfile.open(a[1]) as tf:
            man = json.load(tf.extractfile("manifest.json"))
            cfg = json.load(tf.extractfile(man[0]["Config"]))
        for d in cfg["rootfs"]["diff_ids"]:
            print(d)
    else:
        sys.exit("unknown command " + cmd)


main()
