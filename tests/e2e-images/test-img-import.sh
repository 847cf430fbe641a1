#!/bin/bash
# e2e: importing images through images/ctl and by cp into images/: a plain rootfs tar (and
# .tar.gz), a docker-save tar with two layers where the second deletes a file of the first, an
# OCI layout (directory and tar); a container runs from each and sees the right files; the
# image's files (layers, cmd, env, workdir); the errors (EINVAL with a sentence, ENOENT, EEXIST,
# a cp that fails at close).
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/img-lib.sh"
setup
img_setup

step "generate the archives from the busybox image's export"
bb=$(busybox_export)
gen rootfs "$bb" "$T/rootfs.tar"
gen rootfs "$bb" "$T/rootgz.tar.gz" gz
docker_ids=$(gen docker "$bb" "$T/dock.tar")
oci_ids=$(gen oci "$bb" "$T/ocidir")
ocitar_ids=$(gen ocitar "$bb" "$T/ocit.oci.tar")
assert_eq 2 "$(wc -l <<<"$docker_ids")" "layers of the docker-save tar"
# the copies that cp imports (their base names become the image names)
mkdir "$T/cp"
cp "$T/rootfs.tar" "$T/cp/cprootfs.tar"
cp "$T/rootgz.tar.gz" "$T/cp/cprootgz.tgz"
cp "$T/dock.tar" "$T/cp/cpdock.tar"
cp "$T/ocit.oci.tar" "$T/cp/cpocit.oci.tar"
layers0=$(layer_dirs)

step "import each format through images/ctl"
img_import rootfs "$T/rootfs.tar"
img_import rootgz "$T/rootgz.tar.gz"
img_import dock "$T/dock.tar"
img_import ocidir "$T/ocidir"
img_import ocitar "$T/ocit.oci.tar"
assert_eq "busybox dock ocidir ocitar rootfs rootgz" "$(img_ls)" "images/ after the imports"

step "the same through cp into images/ (imported at close, named after the file)"
for f in cprootfs.tar cprootgz.tgz cpdock.tar cpocit.oci.tar; do
	assert_eq 0 "$(cp_errno "$T/cp/$f" "$I")" "cp $f images/"
done
cp "$T/ocit.oci.tar" "$I/cpocit2.oci.tar" # the cp tool itself
assert_eq "busybox cpdock cpocit cpocit2 cprootfs cprootgz dock ocidir ocitar rootfs rootgz" \
	"$(img_ls)" "images/ after the cp imports"
[ ! -e "$I/cprootfs.tar" ] || fail "images/cprootfs.tar exists after the import"

step "layers files: docker and OCI ids are the diff_ids; shared layers stored once"
assert_eq "$docker_ids" "$(cat "$I/dock/layers")" "dock/layers"
assert_eq "$docker_ids" "$(cat "$I/cpdock/layers")" "cpdock/layers"
assert_eq "$oci_ids" "$(cat "$I/ocidir/layers")" "ocidir/layers"
assert_eq "$ocitar_ids" "$(cat "$I/ocitar/layers")" "ocitar/layers"
assert_eq "$ocitar_ids" "$(cat "$I/cpocit/layers")" "cpocit/layers"
assert_eq 1 "$(wc -l <"$I/rootfs/layers")" "a rootfs tar is one layer"
assert_eq "$(cat "$I/rootfs/layers")" "$(cat "$I/rootgz/layers")" "the .tar.gz gives the layer of the .tar"
assert_eq "$(cat "$I/rootfs/layers")" "$(cat "$I/cprootfs/layers")" "cp rootfs: same layer"
assert_eq "$(cat "$I/rootfs/layers")" "$(cat "$I/cprootgz/layers")" "cp rootgz: same layer"
assert_match '^sha256:[0-9a-f]{64}$' "$(cat "$I/rootfs/layers")" "rootfs/layers"
# new layers: rootfs 1, docker 2 (its top layer is the one OCI's share), oci 1, ocitar 1
# (the layer 2 of docker, oci and ocitar are the same tar)
assert_eq "$(sed -n 2p <<<"$docker_ids")" "$(sed -n 2p <<<"$oci_ids")" "layer 2 of docker and OCI"
assert_eq $((layers0 + 5)) "$(layer_dirs)" "layer directories in the data dir"

step "config files of the images"
assert_file "$I/dock/cmd" "sh -c 'cat /etc/origin'"
assert_file "$I/dock/env" "FROM_IMAGE=yes"
assert_file "$I/dock/workdir" /data
assert_file "$I/ocidir/workdir" /data
assert_file "$I/rootfs/workdir" /
assert_match '^[0-9]+$' "$(cat "$I/dock/size")" "dock/size"
assert_range 1000000 100000000 "$(cat "$I/dock/size")" "dock/size"
assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "$(cat "$I/dock/created")" "dock/created"
assert_file_empty "$I/dock/used-by"

step "a container from each image sees the right files"
# a rootfs has no default cmd: give one
for img in rootfs rootgz cprootfs cprootgz; do
	out=$(run_in_image "$img" "cat /etc/origin")
	assert_eq rootfs "$out" "/etc/origin in a container of $img"
done
for pair in dock:docker cpdock:docker ocidir:oci ocitar:ocitar cpocit:ocitar cpocit2:ocitar; do
	img=${pair%%:*}
	origin=${pair#*:}
	# the image's default cmd, workdir and env
	ctr_image "c-$img" "$img"
	assert_file "$C/c-$img/cmd" "sh -c 'cat /etc/origin'"
	assert_contains "$(cat "$I/$img/used-by")" "c-$img" "$img/used-by"
	echo run >"$C/c-$img/ctl"
	ctr_record "c-$img" >/dev/null
	assert_eq 0 "$(ctr_wait "c-$img")" "exit code of the default cmd of $img"
	assert_eq "$origin" "$(cat "$C/c-$img/logs-now")" "default cmd of $img"
	out=$(ctr_out "c-$img" "sh -c 'pwd; echo \$FROM_IMAGE; ls /data; cat /data/keep /data/new; [ ! -e /data/old ] && echo old-absent'")
	assert_eq $'/data\nyes\nkeep\nnew\nkeep\nnew\nold-absent' "$out" "files seen in a container of $img"
	# and through root/ (no whiteout device shows)
	assert_eq "keep new" "$(ls "$C/c-$img/root/data" | tr '\n' ' ' | sed 's/ $//')" "ls root/data of c-$img"
	rmdir "$C/c-$img"
done

step "errors: unknown format, corrupt archives -> EINVAL with a sentence"
head -c 5000 /dev/urandom >"$T/junk.tar"
img_fail 22 "import junk $T/junk.tar"
assert_match 'junk' "$LAST_ERROR" "images/error names the image"
assert_match '[Aa]rchive|[Ff]ormat|tar' "$LAST_ERROR" "images/error names the reason (format)"
gen truncgz "$T/trunc.tar.gz"
img_fail 22 "import trunc $T/trunc.tar.gz"
assert_match '[Tt]runcat|[Cc]orrupt|[Dd]amaged|EOF|end of|gzip|[Pp]remature' "$LAST_ERROR" "error of a truncated gzip"
gen corrupt-docker "$bb" "$T/corrupt.tar"
img_fail 22 "import corrupt $T/corrupt.tar"
assert_match 'diff_id|digest|sha256|match' "$LAST_ERROR" "error of a layer that does not match its diff_id"
mkdir "$T/plaindir"
echo x >"$T/plaindir/f"
img_fail 22 "import plaindir $T/plaindir"
: >"$T/empty.tar"
img_fail 22 "import empty $T/empty.tar"

step "errors: missing path -> ENOENT, name taken -> EEXIST, bad name -> EINVAL"
img_fail 2 "import nope $T/no-such.tar"
assert_contains "$LAST_ERROR" "$T/no-such.tar" "images/error names the missing path"
img_fail 17 "import dock $T/rootfs.tar"
assert_contains "$LAST_ERROR" "dock" "images/error names the taken name"
assert_eq "$docker_ids" "$(cat "$I/dock/layers")" "dock unchanged by the refused import"
img_fail 17 "import busybox $T/rootfs.tar"
img_fail 22 "import .hidden $T/rootfs.tar"
img_fail 22 "import a:b $T/rootfs.tar"
img_fail 22 "import onlyname"
img_fail 22 "frobnicate x y"

step "errors: a cp of a bad tar fails at close with EINVAL; nothing is left"
cp "$T/junk.tar" "$T/cp/cpjunk.tar"
assert_eq "close 22" "$(cp_errno "$T/cp/cpjunk.tar" "$I")" "cp of junk into images/"
assert_match 'cpjunk' "$(cat "$I/error")" "images/error after the cp of junk"
cp "$T/trunc.tar.gz" "$T/cp/cptrunc.tar.gz"
assert_eq "close 22" "$(cp_errno "$T/cp/cptrunc.tar.gz" "$I")" "cp of a truncated gzip"
cp "$T/corrupt.tar" "$T/cp/cpcorrupt.tar"
assert_eq "close 22" "$(cp_errno "$T/cp/cpcorrupt.tar" "$I")" "cp of a corrupt docker tar"
# a taken name may be refused at open already (the name is known then) or at close
assert_match '^(open|close) 17$' "$(cp_errno "$T/cp/cpdock.tar" "$I")" "cp of a tar whose name is taken"
if cp "$T/cp/cpjunk.tar" "$I/" 2>"$T/cp.err"; then
	fail "cp of junk into images/ succeeded"
fi
assert_contains "$(cat "$T/cp.err")" "Invalid argument" "what cp says"
assert_eq "busybox cpdock cpocit cpocit2 cprootfs cprootgz dock ocidir ocitar rootfs rootgz" \
	"$(img_ls)" "images/ after the failed imports"
assert_eq $((layers0 + 5)) "$(layer_dirs)" "no layer left by the failed imports"
assert_eq "" "$(store_leftovers)" "temporary entries after the failed imports"

step "rmdir of the imported images keeps busybox's layer, removes theirs"
for img in cpdock cpocit cpocit2 cprootfs cprootgz dock ocidir ocitar rootfs rootgz; do
	rmdir "$I/$img"
done
assert_eq busybox "$(img_ls)" "images/ after rmdir"
assert_eq "$layers0" "$(layer_dirs)" "layer directories after rmdir of every import"

finish
