#!/bin/bash
# e2e: `commit NAME` on containers/C/ctl: a stopped and a running container; the new image has
# the change and the deletion; its default config; a volume's content is left out; EEXIST;
# images/NAME/used-by; rmdir of an image in use (EBUSY), then after rmdir of the container;
# two images sharing a layer store it once (layers files, disk usage); export then import
# gives the same layer ids.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/img-lib.sh"
setup
img_setup
bb_layers=$(cat "$I/busybox/layers")
layers0=$(layer_dirs)

# on busybox: /bin/busybox is a regular file, the applets (/bin/vi...) symlinks, /etc/group a file
step "a stopped container: write a file, delete a file and a link, with a volume"
mkdir "$T/vol"
echo host-side >"$T/vol/host-file"
ctr_new w
echo "$T/vol:/vol" >"$C/w/volumes"
printf 'MARK=w\n' >"$C/w/env"
echo /srv >"$C/w/workdir"
out=$(ctr_out w "sh -c 'echo committed > /srv/new; rm /etc/group /bin/vi; echo in-volume > /vol/ctr-file; mkdir -p /opt/d; echo d > /opt/d/f; echo ok'")
assert_eq ok "$out" "changes made in w"
assert_file "$T/vol/ctr-file" in-volume
assert_eq "exited 0" "$(ctr_status w)" "status of w"

step "commit of the stopped container"
echo 'commit img-w' >"$C/w/ctl"
[ -d "$I/img-w" ] || fail "images/img-w missing after the commit"
assert_eq "exited 0" "$(ctr_status w)" "status of w after the commit"
assert_eq 2 "$(wc -l <"$I/img-w/layers")" "layers of img-w"
assert_eq "$bb_layers" "$(head -n 1 "$I/img-w/layers")" "img-w's bottom layer is busybox's"
top=$(tail -n 1 "$I/img-w/layers")
assert_match '^sha256:[0-9a-f]{64}$' "$top" "img-w's new layer"
L=$DATA_DIR/layers/${top#sha256:}
[ -d "$L" ] || fail "the committed layer $L is not in the data dir"
assert_file "$L/srv/new" committed
# the deletions are whiteouts (char 0:0) in the layer
assert_eq "c 0:0" "$(stat -c '%F' "$L/etc/group" | sed 's/character special file/c/') $(stat -c '%t:%T' "$L/etc/group")" "whiteout of /etc/group in the layer"
# the volume: its mount point at most, never its content
[ ! -e "$L/vol/ctr-file" ] && [ ! -e "$L/vol/host-file" ] || fail "the volume's content is in the committed layer: $(ls -la "$L/vol")"
if [ -e "$L/vol" ]; then
	[ -d "$L/vol" ] && [ -z "$(ls -A "$L/vol")" ] || fail "vol in the layer is not an empty dir"
fi
assert_file "$I/img-w/workdir" /srv
assert_contains "$(cat "$I/img-w/env")" "MARK=w" "img-w/env"
assert_file_empty "$I/img-w/used-by"

step "a container from the committed image sees the change and the deletions, not the volume's content"
ctr_image n1 img-w
assert_contains "$(cat "$I/img-w/used-by")" n1 "img-w/used-by"
out=$(ctr_out n1 "sh -c 'pwd; cat /srv/new /opt/d/f; [ ! -e /etc/group ] && echo group-gone; [ ! -e /bin/vi ] && [ ! -L /bin/vi ] && echo vi-gone; [ -e /etc/passwd ] && echo passwd-kept; ls -A /vol 2>/dev/null | wc -l; echo \$MARK'")
assert_eq $'/srv\ncommitted\nd\ngroup-gone\nvi-gone\npasswd-kept\n0\nw' "$out" "what n1 sees"
[ ! -e "$C/n1/root/etc/group" ] || fail "root/etc/group of n1 exists"
assert_file "$C/n1/root/srv/new" committed

step "commit name taken -> EEXIST; bad name -> EINVAL; nothing made"
ctr_fail w 17 write ctl "commit img-w"
ctr_fail w 17 write ctl "commit busybox"
ctr_fail w 22 write ctl "commit .bad"
ctr_fail w 22 write ctl "commit"
assert_eq "busybox img-w" "$(img_ls)" "images/ after the refused commits"

step "commit of a running container (frozen for the copy, still running after)"
ctr_new r
ctr_run r "sh -c 'echo live > /live; rm /etc/passwd; echo done > /tmp/ready; exec sleep 1000'"
wait_for 10 test -e "$C/r/root/tmp/ready"
pid=$(cat "$C/r/pid")
echo 'commit img-r' >"$C/r/ctl"
assert_eq running "$(ctr_status r)" "status of r after the commit"
assert_eq "$pid" "$(cat "$C/r/pid")" "pid of r after the commit"
state=$(awk '{print $3}' "/proc/$pid/stat")
assert_ne T "$state" "state of r's init after the commit (not stopped)"
[ -d "$I/img-r" ] || fail "images/img-r missing"
out=$(run_in_image img-r "sh -c 'cat /live /tmp/ready; [ ! -e /etc/passwd ] && echo passwd-gone'")
assert_eq $'live\ndone\npasswd-gone' "$out" "a container of img-r"
kill_wait r

step "used-by; rmdir of an image in use -> EBUSY; after rmdir of the container it works"
assert_eq n1 "$(cat "$I/img-w/used-by")" "img-w/used-by"
ctr_image n2 img-w
assert_eq $'n1\nn2' "$(sort "$I/img-w/used-by")" "img-w/used-by with two containers"
assert_errno 16 rmdir "$I/img-w"
[ -n "$(cat "$I/error")" ] || fail "images/error empty after the EBUSY rmdir"
rmdir "$C/n1"
assert_errno 16 rmdir "$I/img-w"
rmdir "$C/n2"
assert_file_empty "$I/img-w/used-by"
ctr_image n3 img-r
ctr_run n3 "sleep 1000"
assert_errno 16 rmdir "$I/img-r"
kill_wait n3
assert_errno 16 rmdir "$I/img-r"
rmdir "$C/n3"
assert_errno 0 rmdir "$I/img-r"
[ ! -e "$I/img-r" ] || fail "images/img-r still listed after rmdir"

step "two images sharing a layer store it once (layers files, disk usage)"
# img-w2: a tag shares both layers; img-x: another commit shares busybox's
kib0=$(layers_kib)
n0=$(layer_dirs)
echo 'tag img-w img-w2' >"$I/ctl"
assert_eq "$(cat "$I/img-w/layers")" "$(cat "$I/img-w2/layers")" "layers of a tag"
assert_eq "$n0" "$(layer_dirs)" "layer directories after the tag"
ctr_new x
out=$(ctr_out x "sh -c 'echo x > /x; echo ok'")
echo 'commit img-x' >"$C/x/ctl"
assert_eq "$bb_layers" "$(head -n 1 "$I/img-x/layers")" "img-x's bottom layer"
assert_eq $((n0 + 1)) "$(layer_dirs)" "layer directories after a second commit on busybox"
kib1=$(layers_kib)
bb_kib=$(du -sk "$DATA_DIR/layers/$(sed 's/^sha256://' <<<"$bb_layers")" | cut -f1)
assert_range 500 100000 "$bb_kib" "KiB of the busybox layer"
assert_range 0 64 $((kib1 - kib0)) "KiB the tag and the second commit added to the layers (busybox: $bb_kib KiB)"
# importing the same archive twice: the second adds nothing
gen rootfs "$(busybox_export)" "$T/big.tar"
img_import big1 "$T/big.tar"
n1=$(layer_dirs)
kib2=$(layers_kib)
img_import big2 "$T/big.tar"
assert_eq "$(cat "$I/big1/layers")" "$(cat "$I/big2/layers")" "layers of the same tar imported twice"
assert_eq "$n1" "$(layer_dirs)" "layer directories after the second import"
assert_range 0 16 $(($(layers_kib) - kib2)) "KiB the second import added"
rmdir "$I/big2"
[ -d "$DATA_DIR/layers/$(sed 's/^sha256://' "$I/big1/layers")" ] || fail "big1's layer removed with big2"
rmdir "$I/big1"

step "export then import gives the same layer ids"
cat "$I/img-w/export" >"$T/img-w-export.tar"
assert_eq "$(cat "$I/img-w/layers")" "$(gen layer-ids "$T/img-w-export.tar")" "diff_ids of the export"
n2=$(layer_dirs)
img_import img-w-again "$T/img-w-export.tar"
assert_eq "$(cat "$I/img-w/layers")" "$(cat "$I/img-w-again/layers")" "layers after export + import"
assert_eq "$n2" "$(layer_dirs)" "layer directories after re-importing the export"
assert_file "$I/img-w-again/workdir" /srv
out=$(run_in_image img-w-again "sh -c 'cat /srv/new; [ ! -e /etc/group ] && echo group-gone'")
assert_eq $'committed\ngroup-gone' "$out" "a container of the re-imported export"
# and by cp, under another name
cp "$T/img-w-export.tar" "$T/img-w-cp.tar"
cp "$T/img-w-cp.tar" "$I/"
assert_eq "$(cat "$I/img-w/layers")" "$(cat "$I/img-w-cp/layers")" "layers after export + cp"

step "rmdir of every image keeps busybox; layers go with the last image naming them"
rmdir "$C/w" "$C/x"
for img in img-w img-w2 img-w-again img-w-cp img-x; do
	rmdir "$I/$img"
done
assert_eq busybox "$(img_ls)" "images/ at the end"
assert_eq "$layers0" "$(layer_dirs)" "layer directories at the end"

finish
