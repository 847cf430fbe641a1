#!/bin/bash
# bench/images/images.sh: the image store's costs, with hyperfine.
#  1. import of a ~50 MB rootfs tar (real files taken from /usr/lib) vs `tar -x` of the same
#     file into the same file system, and `tar -x && sync` (import syncs its layer before
#     publishing it, so that is the like-for-like figure);
#  2. commit of an upper dir holding 10 MB of changes (100 files of 100 KB, plus whiteouts).
# Needs root (owners, whiteouts). Uses tests/images/imgtool (built by `ninja -C build` once the
# tests/images subdir is in the build; or IMGTOOL=path). Temp dir under /tmp, removed at the end.
#   sudo bench/images/images.sh [--runs 10] [--out bench/images/results]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$(dirname "$HERE")")
IMGTOOL=${IMGTOOL:-$ROOT/build/tests/images/imgtool}
RUNS=10
OUT=$HERE/results
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--out DIR]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
[ -x "$IMGTOOL" ] || { echo "no imgtool at $IMGTOOL (build it first)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "needs hyperfine" >&2; exit 1; }

T=$(mktemp -d /tmp/ctrfs-bench-img.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$OUT"

# ~50 MB of real files: the first ones of /usr/lib in a stable order.
python3 - "$T/list" <<'PY'
import os, sys
total, out = 0, []
for d, dirs, files in os.walk("/usr/lib"):
    dirs.sort()
    for f in sorted(files):
        p = os.path.join(d, f)
        if os.path.islink(p) or not os.path.isfile(p) or os.path.getsize(p) > 4 << 20:
            continue
        out.append(p[1:])
        total += os.path.getsize(p)
        if total > 50 << 20:
            break
    if total > 50 << 20:
        break
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
tar -C / -cf "$T/rootfs.tar" --files-from "$T/list"
SIZE=$(stat -c %s "$T/rootfs.tar")
FILES=$(wc -l < "$T/list")
echo "rootfs.tar: $((SIZE / 1024 / 1024)) MiB, $FILES files"

hyperfine --runs "$RUNS" --warmup 1 --export-json "$OUT/images-import.json" \
	--export-markdown "$OUT/images-import.md" \
	--prepare "rm -rf $T/data $T/x; mkdir -p $T/x; sync" \
	-n "ctrfs import" "$IMGTOOL $T/data import r $T/rootfs.tar" \
	-n "tar -x" "tar -C $T/x -xf $T/rootfs.tar" \
	-n "tar -x && sync" "tar -C $T/x -xf $T/rootfs.tar && sync"

# 10 MB of changes in an upper dir: 100 files of 100 KB, 20 whiteouts, an opaque dir.
"$IMGTOOL" "$T/base" busybox "${BUSYBOX:-/bin/busybox}" 2>/dev/null ||
	"$IMGTOOL" "$T/base" import busybox "$T/rootfs.tar"
mkdir -p "$T/upper/data" "$T/upper/opq"
for i in $(seq 1 100); do head -c 102400 /dev/urandom > "$T/upper/data/f$i"; done
for i in $(seq 1 20); do mknod "$T/upper/data/gone$i" c 0 0; done
python3 -c "import os,sys; os.setxattr(sys.argv[1], 'trusted.overlay.opaque', b'y')" "$T/upper/opq"
hyperfine --runs "$RUNS" --warmup 1 --export-json "$OUT/images-commit.json" \
	--export-markdown "$OUT/images-commit.md" \
	--prepare "$IMGTOOL $T/base delete c >/dev/null 2>&1 || true; sync" \
	-n "ctrfs commit 10 MB" "$IMGTOOL $T/base commit $T/upper busybox c"

python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
r = {x["command"]: x for x in json.load(open(f"{out}/images-import.json"))["results"]}
c = json.load(open(f"{out}/images-commit.json"))["results"][0]
imp, tar, tsync = (r[k]["mean"] for k in ("ctrfs import", "tar -x", "tar -x && sync"))
lines = [f"import {imp*1000:.0f} ms, tar -x {tar*1000:.0f} ms (ratio {imp/tar:.2f}), "
         f"tar -x && sync {tsync*1000:.0f} ms (ratio {imp/tsync:.2f})",
         f"commit of 10 MB: {c['mean']*1000:.0f} ms (+- {c['stddev']*1000:.0f})"]
open(f"{out}/images-ratio.txt", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
