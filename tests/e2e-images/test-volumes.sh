#!/bin/bash
# e2e: the volumes file (HOST:CONTAINER[:ro] per line): content shared both ways while the
# container runs, :ro enforced (EROFS inside), a missing host path fails the run with ENOENT
# and leaves the container created, bad lines are EINVAL, and a symlink in the image at the
# mount point path does not lead the bind mount out of the container's root.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/img-lib.sh"
setup
img_setup

step "the volumes file: empty by default, read back as written"
ctr_new v
assert_file_empty "$C/v/volumes"
mkdir -p "$T/rw" "$T/ro" "$T/file-src"
echo from-host-before >"$T/rw/before"
echo read-only >"$T/ro/data"
echo one-file >"$T/file-src/f"
printf '%s\n' "$T/rw:/data" "$T/ro:/ro:ro" "$T/file-src/f:/etc/one-file:ro" >"$C/v/volumes"
assert_eq "$(printf '%s\n' "$T/rw:/data" "$T/ro:/ro:ro" "$T/file-src/f:/etc/one-file:ro")" \
	"$(cat "$C/v/volumes")" "volumes read back"

step "content shared both ways while it runs"
ctr_run v "sh -c 'cat /data/before; echo from-ctr > /data/from-ctr; while [ ! -e /data/go ]; do sleep 0.05; done; cat /data/go; cat /ro/data /etc/one-file; (echo x > /ro/new) 2>/dev/null || echo ro-write-failed; cp /data/go /data/ack; exec sleep 1000'"
wait_for 10 test -e "$T/rw/from-ctr"
assert_file "$T/rw/from-ctr" from-ctr
echo from-host-after >"$T/rw/go.tmp"
mv "$T/rw/go.tmp" "$T/rw/go"
wait_for 10 test -e "$T/rw/ack"
assert_file "$T/rw/ack" from-host-after
assert_eq $'from-host-before\nfrom-host-after\nread-only\none-file\nro-write-failed' \
	"$(cat "$C/v/logs-now")" "what v saw"
[ ! -e "$T/ro/new" ] || fail "a file was written into the :ro volume"
# the volumes are not in the container's root/ (the writable layer is untouched)
[ ! -e "$C/v/root/data/from-ctr" ] || fail "root/data/from-ctr: the volume's file is in the root"
assert_errno 16 write "$C/v/volumes" "$T/rw:/other"
kill_wait v

step ":ro: a write fails with EROFS (Read-only file system) inside"
out=$(ctr_out v "sh -c 'echo x > /ro/new; echo rc=\$?' 2>&1")
assert_contains "$out" "Read-only file system" "writing into /ro"
assert_contains "$out" "rc=1" "exit status of the write into /ro"
out=$(ctr_out v "sh -c 'touch /etc/one-file 2>&1; rm -f /ro/data 2>&1; mkdir /ro/d 2>&1; cat /ro/data'")
assert_eq 3 "$(grep -c 'Read-only file system' <<<"$out")" "EROFS of touch, rm and mkdir on :ro volumes [$out]"
assert_contains "$out" read-only "the :ro content is intact"
assert_file "$T/ro/data" read-only
assert_file "$T/file-src/f" one-file
rmdir "$C/v"

step "a missing host path: run fails with ENOENT, the container stays created"
ctr_new m
echo "$T/no-such-dir:/x" >"$C/m/volumes"
echo "sh -c 'echo ran > /ran'" >"$C/m/cmd"
ctr_fail m 2 write ctl run
assert_contains "$LAST_ERROR" "$T/no-such-dir" "m/error names the missing path"
assert_eq created "$(ctr_status m)" "status of m after the failed run"
assert_file_empty "$C/m/pid"
[ ! -e "$C/m/root/ran" ] || fail "the command of m ran"
# once it exists, the run works
mkdir "$T/no-such-dir"
echo run >"$C/m/ctl"
ctr_record m >/dev/null
assert_eq 0 "$(ctr_wait m)" "exit code of m once the path exists"
rmdir "$C/m"

step "bad lines -> EINVAL"
ctr_new b
for bad in "relative:/x" "$T/rw:relative" "$T/rw" "$T/rw:/x:rx" "$T/rw:/x:ro:extra" \
	":/x" "$T/rw:" "$T/rw:/x"$'\n'"$T/ro:/x" "$T/rw:/"; do
	assert_errno 22 write "$C/b/volumes" "$bad"
	[ -n "$(cat "$C/b/error")" ] || fail "b/error empty after the bad volumes line [$bad]"
done
echo "$T/rw:/x" >"$C/b/volumes"
assert_file "$C/b/volumes" "$T/rw:/x"
# Docker's explicit :rw is accepted by ctrfs too (read back normalised or as written)
echo "$T/rw:/x:rw" >"$C/b/volumes"
assert_match "^$T/rw:/x(:rw)?\$" "$(cat "$C/b/volumes")" "volumes after :rw"
rmdir "$C/b"

step "a symlink at the mount point (made through root/) does not lead the bind out of the root"
# host dirs a followed link would reach; a marker file tells where the volume went
mkdir -p "$T/target" "$T/vsrc"
echo volume-content >"$T/vsrc/marker"
echo host-target >"$T/target/host-file"
host_before=$(cd "$T" && find target -printf '%p %y\n' | sort)
host_mounts_before=$(awk '{print $5}' /proc/self/mountinfo | sort)

# sym_case NAME LINK TARGET MOUNTPOINT SEEN: root/LINK -> TARGET made through root/ of a new
# container NAME, a volume at MOUNTPOINT; the run either is refused (the container stays
# created) or mounts the volume inside the root, where SEEN (a path inside) shows it
sym_case() {
	local n=$1 link=$2 target=$3 mp=$4 seen=$5 e out
	ctr_new "$n"
	mkdir -p "$(dirname "$C/$n/root/$link")"
	ln -s "$target" "$C/$n/root/$link"
	echo "$T/vsrc:$mp" >"$C/$n/volumes"
	echo "sh -c 'cat $seen/marker; [ ! -e $seen/host-file ] && [ ! -e $T/target/host-file ] && echo no-host-file'" >"$C/$n/cmd"
	e=$(errno_of write "$C/$n/ctl" run)
	if [ "$e" == 0 ]; then
		ctr_record "$n" >/dev/null
		assert_eq 0 "$(ctr_wait "$n")" "exit code of $n (volume at $mp, $link -> $target)"
		out=$(cat "$C/$n/logs-now")
		assert_eq $'volume-content\nno-host-file' "$out" "$n: the volume at $mp ($link -> $target) is at $seen inside"
		echo "  $n: $link -> $target: the volume is inside the root at $seen"
	else
		assert_match '^(2|20|22|40)$' "$e" "$n: errno of a run whose mount point is a symlink"
		assert_eq created "$(ctr_status "$n")" "$n: status after the refused run"
		echo "  $n: $link -> $target: run refused with errno $e: $(cat "$C/$n/error")"
	fi
	# the image's link itself is unchanged (shown rebased under root/)
	[ -L "$C/$n/root/$link" ] || fail "$n: root/$link is no longer a symlink"
	assert_eq "" "$(awk -v t="$T/target" '$5 == t || $5 == "/etc" {print}' /proc/self/mountinfo | grep -v ' - overlay ' || true)" \
		"mounts on the host targets after $n"
	[ ! -e /etc/marker ] || fail "/etc/marker on the host after $n"
	rmdir "$C/$n"
}
# an absolute link to /etc (which exists inside): the volume covers the container's /etc
sym_case s1 vol /etc /vol /etc
# an absolute link to a host dir that does not exist inside
sym_case s2 vol2 "$T/target" /vol2 "$T/target"
# a relative link climbing past / ; the volume below it
sym_case s3 vol3 ../../../../../../../.. /vol3/in-root /in-root
# a link deeper in the tree, climbing then naming the host dir
sym_case s4 tree/deep "/../../../$T/target" /tree/deep/sub "$T/target/sub"

assert_eq "$host_before" "$(cd "$T" && find target -printf '%p %y\n' | sort)" "the host target dir"
assert_eq "$host_mounts_before" "$(awk '{print $5}' /proc/self/mountinfo | sort)" "mounts in the test's namespace"

finish
