#!/bin/bash
# e2e: hostile archives through images/ctl and cp: "../../etc/x", absolute names, a symlink to
# a host directory then a file through it, hard links to /etc/passwd and to a host file, device
# nodes. Each import is refused with EINVAL (or, where harmless, contained inside the image);
# nothing changes outside the store (a host directory made for the test is the target), and no
# partial image or layer is left.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/img-lib.sh"
setup
img_setup

# the targets: $T/outside (absolute names and links point there) and $T/etc, $DATA_DIR/etc
# (where ../../etc/x and ../../../etc/x would land from the layer's temp dir DATA/layers/.tmp-X)
OUT=$T/outside
mkdir "$OUT" "$T/etc"
echo untouched >"$OUT/victim"
passwd_sum=$(sha256sum /etc/passwd)
passwd_links=$(stat -c %h /etc/passwd)
snapshot() {
	# everything under the targets, with contents, plus the data dir's top (not its layers)
	(cd "$T" && find outside etc -printf '%p %y %n %s\n' | sort && cat outside/victim)
	find "$DATA_DIR" -maxdepth 1 -printf '%P %y\n' | sort
	ls -A "$DATA_DIR/layers" | sort
}
before=$(snapshot)
images0=$(img_ls)
layers0=$(layer_dirs)

# check_outside: nothing changed outside the store
check_outside() {
	assert_eq "$before" "$(snapshot)" "the host paths and the data dir after $1"
	assert_eq "$passwd_sum" "$(sha256sum /etc/passwd)" "/etc/passwd after $1"
	assert_eq "$passwd_links" "$(stat -c %h /etc/passwd)" "link count of /etc/passwd after $1"
	[ ! -e /etc/x ] && [ ! -e /etc/ctrfs-e2e-evil ] || fail "a file in /etc after $1"
	[ ! -e "$DATA_DIR/etc" ] && [ ! -e "$DATA_DIR/x" ] && [ ! -e "$T/x" ] ||
		fail "a file escaped the layer dir after $1"
	assert_eq "$images0" "$(img_ls)" "images/ after $1"
	assert_eq "$layers0" "$(layer_dirs)" "layer directories after $1"
	assert_eq "" "$(store_leftovers)" "temporary entries after $1"
}

# import_evil CASE HOW: import the hostile tar CASE through ctl or cp; it must fail with
# EINVAL, or succeed with its content contained (then the image is checked and removed)
import_evil() {
	local c=$1 how=$2 name=evil-$1-$2 e lid
	mkdir -p "$T/tars"
	gen evil "$c" "$T/tars/$name.tar" "$OUT"
	if [ "$how" == ctl ]; then
		e=$(errno_of write "$I/ctl" "import $name $T/tars/$name.tar")
	else
		e=$(cp_errno "$T/tars/$name.tar" "$I")
		[[ $e == "close "* ]] && e=${e#close }
	fi
	case $e in
	22)
		assert_match "$name" "$(cat "$I/error")" "images/error after $name"
		echo "  $name: refused: $(cat "$I/error")"
		;;
	0)
		echo "  $name: accepted, checking that it is contained"
		[ -d "$I/$name" ] || fail "$name accepted but images/$name missing"
		lid=$(sed 's/^sha256://' "$I/$name/layers")
		check_contained "$c" "$DATA_DIR/layers/$lid"
		rmdir "$I/$name"
		;;
	*) fail "import of $name ($how): errno [$e], expected 22 (EINVAL) or a contained import" ;;
	esac
	check_outside "$name"
}

# check_contained CASE LAYERDIR: an accepted hostile archive put everything inside its layer
check_contained() {
	local L=$2
	case $1 in
	symlink-replace)
		[ -f "$L/victim" ] && [ ! -L "$L/victim" ] || fail "$1: victim is not a file in the layer"
		assert_file "$L/victim" overwritten
		;;
	device)
		[ ! -e "$L/dev/mem" ] && [ ! -e "$L/dev/sda" ] || fail "$1: a device node was created"
		;;
	absolute | absolute-etc)
		# a leading / stripped: the file is inside the layer
		[ -z "$(find "$L" -type l)" ] || fail "$1: a link in the layer"
		;;
	*) fail "$1: accepted, which must not happen: $(find "$L" -printf '%p %y %l\n')" ;;
	esac
	if find "$L" -type c -o -type b | grep -q .; then
		fail "$1: a device node in the layer: $(find "$L" -type c -o -type b)"
	fi
}

cases=$(gen evil list)
for how in ctl cp; do
	step "hostile archives through $how"
	for c in $cases; do
		import_evil "$c" "$how"
	done
done

step "a hostile layer inside a docker-save tar and an OCI layout"
"$PY" - "$T/tars" "$OUT" <<'PY'
import os, sys, tarfile
sys.path.insert(0, os.environ["IMG_DIR"] + "/../images")
d, out = sys.argv[1], sys.argv[2]
from imglib import docker_save, make_tar, oci_layout, tar_dir
ok = make_tar([("a", dict(data=b"a\n"))])
bad = make_tar([("ok", dict(data=b"ok\n")), ("../../../etc/x", dict(data=b"x\n"))])
link = make_tar([("l", dict(kind=tarfile.SYMTYPE, link=out)), ("l/x", dict(data=b"x\n"))])
docker_save(d + "/dock-dotdot.tar", [ok, bad], {"config": {}})
docker_save(d + "/dock-symlink.tar", [ok, link], {"config": {}})
oci_layout(d + "/oci-dotdot", [ok, bad], {"config": {}})
tar_dir(d + "/oci-dotdot", d + "/oci-dotdot.tar")
PY
for f in dock-dotdot.tar dock-symlink.tar oci-dotdot oci-dotdot.tar; do
	n=${f%.tar}
	img_fail 22 "import $n $T/tars/$f"
	check_outside "$n"
done
for f in dock-dotdot.tar dock-symlink.tar oci-dotdot.tar; do
	assert_eq "close 22" "$(cp_errno "$T/tars/$f" "$I")" "cp of $f"
	check_outside "cp of $f"
done

step "a good import still works afterwards; a container of it sees no host file"
gen rootfs "$(busybox_export)" "$T/good.tar"
img_import good "$T/good.tar"
out=$(run_in_image good "sh -c 'ls /; [ ! -e /outside ] && [ ! -e /x ] && echo clean'")
assert_contains "$out" clean "a container of the good image"
rmdir "$I/good"
check_outside "the good import"

finish
