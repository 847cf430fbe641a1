"""Helpers for the image store tests: TAP output, a scratch data dir, imgtool runs, and
archive builders (tarfile only: every test image is made here, nothing is downloaded)."""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

IMGTOOL = sys.argv[1] if len(sys.argv) > 1 else "imgtool"
_count = 0
_failed = 0


def check(cond, what):
    global _count, _failed
    _count += 1
    if cond:
        print(f"ok {_count} - {what}")
    else:
        _failed += 1
        print(f"not ok {_count} - {what}")
    sys.stdout.flush()
    return cond


def done():
    print(f"1..{_count}")
    sys.exit(1 if _failed else 0)


def require_root():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (whiteouts are device nodes, opaque dirs trusted xattrs)")
        sys.exit(77)


class Scratch:
    """A temp dir under /tmp with a data dir in it; removed at exit."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="ctrfs-img-", dir="/tmp")
        self.data = os.path.join(self.root, "data")

    def path(self, *p):
        return os.path.join(self.root, *p)

    def tool(self, *args, data=None):
        r = subprocess.run([IMGTOOL, data or self.data, *args], capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    def info(self, name, data=None):
        rc, out = self.tool("info", name, data=data)
        if rc != 0:
            return None
        d = {"layers": []}
        for line in out.splitlines():
            k, _, v = line.partition(":")
            v = v.strip()
            if k == "layer":
                d["layers"].append(v.split(":", 1)[1])
            else:
                d[k] = v
        return d

    def image_json(self, name, data=None):
        with open(os.path.join(data or self.data, "images", name, "image.json")) as f:
            return json.load(f)

    def layer(self, lid, *p, data=None):
        return os.path.join(data or self.data, "layers", lid, *p)

    def leftovers(self, data=None):
        """Temporary entries an import may leave if it is not clean."""
        d = data or self.data
        out = []
        for sub in ("images", "layers"):
            if os.path.isdir(os.path.join(d, sub)):
                out += [n for n in os.listdir(os.path.join(d, sub)) if n.startswith(".tmp-")]
        return out

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


def ti(name, data=b"", mode=0o644, kind=tarfile.REGTYPE, link="", uid=0, gid=0):
    t = tarfile.TarInfo(name)
    t.type = kind
    t.mode = mode
    t.uid, t.gid = uid, gid
    t.mtime = 1700000000
    t.linkname = link
    t.size = len(data) if kind == tarfile.REGTYPE else 0
    return t, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def make_tar(entries, fmt=tarfile.PAX_FORMAT):
    """entries: list of (name, kwargs for ti) -> tar bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, kw in entries:
            t, f = ti(name, **kw)
            tf.addfile(t, f)
    return buf.getvalue()


def sha(b):
    return hashlib.sha256(b).hexdigest()


def docker_save(path, layers, config):
    """A `docker save` archive (legacy layout: ID/layer.tar) with LAYERS (tar bytes)."""
    diff_ids = ["sha256:" + sha(l) for l in layers]
    cfg = dict(config, rootfs={"type": "layers", "diff_ids": diff_ids})
    cfg_bytes = json.dumps(cfg).encode()
    cfg_name = sha(cfg_bytes) + ".json"
    names = []
    entries = []
    for l in layers:
        d = sha(l)
        entries += [(d, dict(kind=tarfile.DIRTYPE, mode=0o755)),
                    (d + "/VERSION", dict(data=b"1.0")),
                    (d + "/layer.tar", dict(data=l))]
        names.append(d + "/layer.tar")
    manifest = [{"Config": cfg_name, "RepoTags": ["t:latest"], "Layers": names}]
    entries += [(cfg_name, dict(data=cfg_bytes)),
                ("manifest.json", dict(data=json.dumps(manifest).encode()))]
    with open(path, "wb") as f:
        f.write(make_tar(entries))
    return [sha(l) for l in layers]


def oci_layout(dirpath, layers, config, gzip_layers=True):
    """An OCI image layout directory; layers stored gzip-compressed."""
    blobs = os.path.join(dirpath, "blobs", "sha256")
    os.makedirs(blobs)

    def put(b):
        d = sha(b)
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(b)
        return d, len(b)

    descs = []
    for l in layers:
        b = gzip.compress(l, mtime=0) if gzip_layers else l
        d, n = put(b)
        mt = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gzip_layers else "")
        descs.append({"mediaType": mt, "digest": "sha256:" + d, "size": n})
    cfg = dict(config, rootfs={"type": "layers", "diff_ids": ["sha256:" + sha(l) for l in layers]},
               architecture="amd64", os="linux")
    cd, cn = put(json.dumps(cfg).encode())
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                      "digest": "sha256:" + cd, "size": cn},
           "layers": descs}
    md, mn = put(json.dumps(man).encode())
    index = {"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + md,
         "size": mn, "platform": {"architecture": "amd64", "os": "linux"}}]}
    with open(os.path.join(dirpath, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(dirpath, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    return [sha(l) for l in layers]


def tar_dir(dirpath, out):
    with tarfile.open(out, "w") as tf:
        for n in sorted(os.listdir(dirpath)):
            tf.add(os.path.join(dirpath, n), arcname=n)


def is_whiteout(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    import stat
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def opaque(path):
    try:
        return os.getxattr(path, "trusted.overlay.opaque", follow_symlinks=False) == b"y"
    except OSError:
        return False
