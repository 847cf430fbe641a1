# img-lib.sh: helpers shared by the tests in tests/e2e-images (images, commit, volumes, root/).
# Sourced after tests/e2e/lib.sh (whose setup, assertions and leak_check they use).
# shellcheck shell=bash

IMG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export IMG_DIR
GEN=$IMG_DIR/gen.py
I= # $MNT/images, set by img_setup

img_setup() {
	I=$MNT/images
	[ -d "$I" ] || fail "$I is not a directory"
}

# gen ARGS...: build a test archive (see gen.py)
gen() {
	"$PY" "$GEN" "$@"
}

# busybox_export: the busybox image's export, saved once as $T/busybox-export.tar; prints it
busybox_export() {
	local f=$T/busybox-export.tar
	if [ ! -s "$f" ]; then
		cat "$I/busybox/export" >"$f.part" || fail "cat images/busybox/export failed"
		mv "$f.part" "$f"
	fi
	echo "$f"
}

# img_ls: the image names (without ctl and error), one line, sorted
img_ls() {
	ls "$I" | grep -vx -e ctl -e error | sort | tr '\n' ' ' | sed 's/ $//'
}

# img_import NAME PATH: import through images/ctl, which must succeed
img_import() {
	local e
	e=$(errno_of write "$I/ctl" "import $1 $2")
	[ "$e" == 0 ] || fail "import $1 $2: errno $e ($(errname "$e")): $(cat "$I/error")"
	[ -d "$I/$1" ] || fail "images/$1 missing after its import"
}

# img_fail ERRNO CTLCMD: the images/ctl command fails with ERRNO and images/error then holds
# a sentence (kept in LAST_ERROR)
img_fail() {
	assert_errno "$1" write "$I/ctl" "$2"
	LAST_ERROR=$(cat "$I/error")
	[ -n "$LAST_ERROR" ] || fail "images/error is empty after a failed [$2]"
}

# cp_errno SRC DIR: copy SRC into DIR as cp does (open O_CREAT, write, close); prints 0, or
# the step and errno that failed ("open 22", "write 5", "close 22")
cp_errno() {
	"$PY" -S -c '
import os, sys
src, dst = sys.argv[1], os.path.join(sys.argv[2], os.path.basename(sys.argv[1]))
step = "open"
try:
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    step = "write"
    with open(src, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            while b:
                n = os.write(fd, b)
                b = b[n:]
    step = "close"
    os.close(fd)
except OSError as e:
    print(step, e.errno)
    sys.exit(0)
print(0)
' "$1" "$2"
}

# layer_dirs: the number of layer directories in the data dir (aliases are symlinks)
layer_dirs() {
	find "$DATA_DIR/layers" -mindepth 1 -maxdepth 1 -type d | wc -l
}

# store_leftovers: temporary entries a failed import or commit may leave in the data dir
store_leftovers() {
	find "$DATA_DIR" -maxdepth 2 \( -name '.tmp-*' -o -name '.incoming-*' \) -printf '%P\n' |
		sort | tr '\n' ' '
}

# layers_kib: disk usage of the data dir's layers in KiB (hard links counted once)
layers_kib() {
	du -sk "$DATA_DIR/layers" | cut -f1
}

# overlay_mounts: overlay mounts that name our temp dir, one per line
overlay_mounts() {
	awk -v t="$T" '$0 ~ / - overlay / && index($0, t) { print $5 }' /proc/self/mountinfo
}

assert_no_overlay() {
	local left
	left=$(overlay_mounts)
	[ -z "$left" ] || fail "overlay mounts left: $left"
}

# ctr_image NAME IMAGE: a new container NAME using IMAGE
ctr_image() {
	ctr_new "$1"
	echo "$2" >"$C/$1/image"
	assert_file "$C/$1/image" "$2"
}

# run_in_image IMAGE CMD [CODE]: a fresh container from IMAGE runs CMD (exit code CODE, 0), print
# its output; the container is removed afterwards
run_in_image() {
	local img=$1 cmd=$2 code=${3:-0} n=tmp$RANDOM out
	ctr_image "$n" "$img"
	out=$(ctr_out "$n" "$cmd" "$code")
	rmdir "$C/$n"
	printf '%s\n' "$out"
}

# kill_wait NAME: kill a running container and wait for it
kill_wait() {
	echo 'kill KILL' >"$C/$1/ctl"
	ctr_wait "$1" >/dev/null
}

# finish: what every test of this folder ends with
finish() {
	ctr_rm_all
	assert_no_overlay
	assert_eq "" "$(store_leftovers)" "temporary entries left in the data dir"
	leak_check
	assert_no_overlay
	pass
}
