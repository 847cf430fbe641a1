#!/bin/bash
# e2e: containers/NAME/root/, the container's root filesystem: a file written through root/ is
# read inside the running container and the reverse; it works on a stopped container; cp, rm,
# mkdir, chmod, ln -s, mv through root/; symlinks made inside (to /, ../../..) stay inside
# root/ when followed; no device nodes through root/ (EPERM); no overlay mount left after rmdir.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/img-lib.sh"
setup
img_setup

step "root/ of a container that never ran: the image's files"
ctr_new r
R=$C/r/root
[ -d "$R" ] || fail "root/ is not a directory"
[ -f "$R/bin/busybox" ] || fail "root/bin/busybox missing"
assert_contains "$(ls "$R")" etc "ls root/"
cmp "$R/bin/busybox" "$(readlink -f /bin/busybox)" || fail "root/bin/busybox differs from the host's busybox"

step "a file written through root/ is read inside the running container, and the reverse"
echo myctr >"$C/r/hostname"
ctr_run r "sh -c 'while [ ! -e /tmp/from-host ]; do sleep 0.05; done; cat /tmp/from-host; echo from-ctr > /tmp/from-ctr; echo inside > /etc/ctr-marker; while [ ! -e /tmp/go2 ]; do sleep 0.05; done; cat /tmp/go2; ls /tmp; exec sleep 1000'"
printf 'from-host\n' >"$R/tmp/from-host.part"
mv "$R/tmp/from-host.part" "$R/tmp/from-host"
wait_for 10 test -e "$R/tmp/from-ctr"
assert_file "$R/tmp/from-ctr" from-ctr
assert_file "$R/etc/ctr-marker" inside
# a bigger file, written with cp, seen whole inside
head -c 300000 /dev/urandom >"$T/blob"
cp "$T/blob" "$R/tmp/blob"
sum=$(sha256sum <"$T/blob" | cut -d' ' -f1)
echo go >"$R/tmp/go2"
wait_for 10 grep -qx go "$C/r/logs-now"
n=$(cat "$C/r/exec/new")
echo "sha256sum /tmp/blob" >"$C/r/exec/$n/cmd"
out=$(timeout 20 cat "$C/r/exec/$n/output")
assert_eq "$sum  /tmp/blob" "$out" "sha256sum inside of a file cp'd through root/"
assert_eq $'from-host\ngo\nblob\nfrom-ctr\nfrom-host\ngo2' "$(cat "$C/r/logs-now")" "what r printed"

step "symlinks made inside to / and ../../.. stay inside root/ when followed"
n=$(cat "$C/r/exec/new")
echo "sh -c 'ln -s / /esc-root; ln -s ../../.. /esc-up; ln -s /etc /esc-etc; ln -s ../../../../../../etc/passwd /tmp/esc-pw; mkdir -p /a/b; ln -s ../../.. /a/b/up'" >"$C/r/exec/$n/cmd"
assert_eq 0 "$(timeout 20 cat "$C/r/exec/$n/status")" "status of the ln -s in r"
host_hostname=$(cat /etc/hostname 2>/dev/null || true)
ctr_hostname=$(cat "$R/etc/hostname")
for l in esc-root esc-up a/b/up; do
	t=$(readlink "$R/$l")
	assert_eq "$C/r/root" "${t%/}" "readlink root/$l"
	assert_file "$R/$l/etc/ctr-marker" inside
	assert_eq "$ctr_hostname" "$(cat "$R/$l/etc/hostname")" "root/$l/etc/hostname"
	[ ! -e "$R/$l$T" ] || fail "root/$l$T exists: the link reached the host's /"
	assert_eq "$(ls "$R")" "$(ls "$R/$l/")" "ls root/$l/"
done
assert_eq "$C/r/root/etc" "$(readlink "$R/esc-etc")" "readlink root/esc-etc"
assert_file "$R/esc-etc/ctr-marker" inside
assert_eq "$C/r/root/etc/passwd" "$(readlink "$R/tmp/esc-pw")" "readlink root/tmp/esc-pw"
cmp -s "$R/tmp/esc-pw" "$R/etc/passwd" || fail "root/tmp/esc-pw is not the container's passwd"
if [ -n "$host_hostname" ] && [ "$host_hostname" != "$ctr_hostname" ]; then
	assert_ne "$host_hostname" "$(cat "$R/esc-root/etc/hostname")" "root/esc-root/etc/hostname is the host's"
fi
# realpath through the link stays under root/
assert_eq "$C/r/root/etc" "$(realpath "$R/esc-up/etc")" "realpath root/esc-up/etc"
# a write through such a link lands inside the container
echo via-link >"$R/esc-root/tmp/via-link"
assert_file "$R/tmp/via-link" via-link
[ ! -e /tmp/via-link ] || fail "/tmp/via-link on the host"

step "device nodes cannot be made through root/ (EPERM)"
mknod_errno() {
	"$PY" -S -c '
import os, stat, sys
kind = {"c": stat.S_IFCHR, "b": stat.S_IFBLK}[sys.argv[2]]
try:
    os.mknod(sys.argv[1], 0o600 | kind, os.makedev(int(sys.argv[3]), int(sys.argv[4])))
    print(0)
except OSError as e:
    print(e.errno)
' "$@"
}
assert_eq 1 "$(mknod_errno "$R/dev/mem2" c 1 1)" "mknod c 1 1 in root/dev"
assert_eq 1 "$(mknod_errno "$R/tmp/sda" b 8 0)" "mknod b 8 0 in root/tmp"
assert_eq 1 "$(mknod_errno "$R/tmp/null" c 1 3)" "mknod c 1 3 in root/tmp"
assert_eq 1 "$(mknod_errno "$R/tmp/wh" c 0 0)" "mknod c 0 0 (a whiteout) in root/tmp"
if mknod "$R/tmp/x" c 1 3 2>"$T/mknod.err"; then fail "mknod through root/ succeeded"; fi
assert_contains "$(cat "$T/mknod.err")" "Operation not permitted" "what mknod says"
[ ! -e "$R/dev/mem2" ] && [ ! -e "$R/tmp/sda" ] && [ ! -e "$R/tmp/null" ] && [ ! -e "$R/tmp/x" ] ||
	fail "a device node exists after a refused mknod"
kill_wait r

step "a stopped container: read and write through root/; the next run sees it"
assert_eq "exited 137" "$(ctr_status r)" "status of r"
assert_file "$R/tmp/from-ctr" from-ctr
echo stopped-write >"$R/tmp/stopped"
# cp, rm, mkdir, chmod, ln -s, mv
mkdir "$R/srv"
mkdir -p "$R/srv/deep/er"
cp "$T/blob" "$R/srv/blob"
cp -r "$R/srv/deep" "$R/srv/deep2"
echo script >"$R/srv/run.sh"
chmod 0750 "$R/srv/run.sh"
chmod 4755 "$R/srv/blob"
ln -s run.sh "$R/srv/link"
ln -s /srv/blob "$R/srv/abslink"
mv "$R/tmp/from-host" "$R/srv/moved"
mv "$R/srv/deep2" "$R/srv/deep3"
rm "$R/etc/ctr-marker"
rm "$R/bin/vi"
rm -r "$R/srv/deep/er"
cp "$R/etc/passwd" "$R/srv/passwd-copy"
ln "$R/srv/run.sh" "$R/srv/hard" 2>"$T/ln.err" || echo "note: hard link through root/ refused: $(cat "$T/ln.err")"
assert_eq 750 "$(stat -c %a "$R/srv/run.sh")" "mode of root/srv/run.sh"
assert_eq 4755 "$(stat -c %a "$R/srv/blob")" "mode of root/srv/blob"
assert_eq run.sh "$(readlink "$R/srv/link" | sed "s|^$C/r/root/srv/||")" "root/srv/link (relative link, maybe rebased)"
assert_eq "$C/r/root/srv/blob" "$(readlink "$R/srv/abslink")" "root/srv/abslink rebased"
cmp "$T/blob" "$R/srv/abslink" || fail "root/srv/abslink does not lead to the blob"
out=$(ctr_out r "sh -c 'cat /tmp/stopped /srv/moved; sha256sum /srv/blob; stat -c %a /srv/run.sh /srv/blob; readlink /srv/link; readlink /srv/abslink; ls /srv; ls /srv/deep | wc -l; [ ! -e /etc/ctr-marker ] && echo marker-gone; [ ! -e /bin/vi ] && echo vi-gone; [ ! -e /tmp/from-host ] && echo moved-away; cmp /etc/passwd /srv/passwd-copy && echo copy-same'")
expect="stopped-write
from-host
$sum  /srv/blob
750
4755
run.sh
/srv/blob
abslink
blob
deep
deep3
$([ -e "$R/srv/hard" ] && echo hard)
link
moved
passwd-copy
run.sh
0
marker-gone
vi-gone
moved-away
copy-same"
assert_eq "$(grep -v '^$' <<<"$expect")" "$out" "what r sees of the changes made through root/"

step "while it runs again, root/ shows the same tree; rename and unlink inside are seen"
ctr_run r "sh -c 'mv /srv/moved /srv/moved-inside; rm /srv/blob; echo done > /tmp/done; exec sleep 1000'"
wait_for 10 test -e "$R/tmp/done"
[ ! -e "$R/srv/blob" ] && [ -f "$R/srv/moved-inside" ] || fail "root/ does not show the changes made inside: $(ls "$R/srv")"
[ -n "$(overlay_mounts)" ] || fail "no overlay mount while r runs"
kill_wait r

step "open(O_NOFOLLOW) of a regular file in root/ works (cp -a, rsync, tar use it)"
nofollow_errno() {
	"$PY" -S -c '
import os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_NOFOLLOW))
    print(0)
except OSError as e:
    print(e.errno)
' "$1"
}
assert_eq 0 "$(nofollow_errno "$R/etc/passwd")" "open(O_RDONLY|O_NOFOLLOW) of root/etc/passwd"
assert_eq 40 "$(nofollow_errno "$R/srv/link")" "open(O_NOFOLLOW) of the symlink root/srv/link"
cp -a "$R/etc/passwd" "$T/passwd-copy"
cmp "$T/passwd-copy" "$R/etc/passwd" || fail "cp -a of root/etc/passwd differs"

step "after rmdir no overlay mount is left"
rmdir "$C/r"
assert_no_overlay
[ ! -e "$C/r" ] || fail "containers/r still exists"

finish
