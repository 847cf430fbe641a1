#!/bin/bash
# Errors of networks/ and of a container's network file: a missing network is ENOENT at the
# write, or at run if it was removed meanwhile (the container does not start, nothing is
# made); rmdir of a network with endpoints is EBUSY; bad names EINVAL; an existing name
# EEXIST; read-only files and unknown files refused.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net-lib.sh"

net_setup

step "network names: bad ones EINVAL, existing EEXIST, missing ENOENT"
long=$(printf 'n%.0s' $(seq 1 65))
for bad in none host .hidden -dash _under 'a b' 'a:b' "$long" 'é'; do
	assert_errno 22 mkdir "$NW/$bad"
done
assert_eq "" "$(ls -A "$NW")" "networks/ after the refused mkdirs"
mkdir "$NW/n1"
assert_errno 17 mkdir "$NW/n1"
mkdir "$NW/${long:0:64}"
rmdir "$NW/${long:0:64}"
assert_errno 2 rmdir "$NW/nosuch"
assert_errno 2 read "$NW/nosuch/subnet"

step "files of a network: read-only ones, unknown ones"
for f in gateway bridge driver ipam endpoints error; do
	assert_errno 13 write "$NW/n1/$f" x
done
assert_errno 13 create "$NW/n1/newfile"
assert_errno 1 unlink "$NW/n1/subnet"
assert_errno 1 mkdir "$NW/n1/sub"
assert_eq "bridge driver endpoints error gateway ipam subnet" "$(ls "$NW/n1" | sort | tr '\n' ' ' | sed 's/ $//')" \
	"files of a network"

step "a container's network: bad values EINVAL, a missing network ENOENT at the write"
ctr_new x
assert_file "$C/x/network" default
for bad in 'a b' .x -x "$long" 'a/b' ''; do
	ctr_fail x 22 write network "$bad"
	assert_file "$C/x/network" default
done
ctr_fail x 2 write network nosuch
assert_eq "Network nosuch does not exist" "$LAST_ERROR" "error of x"
assert_file "$C/x/network" default
for ok in none host n1 default; do
	echo "$ok" >"$C/x/network"
	assert_file "$C/x/network" "$ok"
done

step "a network removed between the write and run: ENOENT at run, nothing started"
mkdir "$NW/gone"
echo gone >"$C/x/network"
rmdir "$NW/gone"
assert_file "$C/x/network" gone
links_before=$(links)
ctr_fail x 2 write ctl run
assert_eq "Network gone does not exist" "$LAST_ERROR" "error of x at run"
assert_eq created "$(ctr_status x)" "status of x"
assert_file_empty "$C/x/pid"
assert_file_empty "$C/x/ip"
assert_eq n1 "$(ls "$NW")" "networks/ (no default made on the way)"
assert_eq "$links_before" "$(links)" "links after the refused run"
# made again under that name, it works
mkdir "$NW/gone"
ctr_run x 'sleep 1000'
assert_eq running "$(ctr_status x)" "status of x"
assert_match '^10\.88\.[0-9]+\.2$' "$(ctr_ip x)" "address of x"
assert_eq "x $(ctr_ip x)" "$(cut -d' ' -f1,2 "$NW/gone/endpoints")" "endpoints of gone"

step "rmdir of a network with endpoints: EBUSY, still there"
assert_errno 16 rmdir "$NW/gone"
assert_eq "Network gone has endpoints: stop its containers" "$(cat "$NW/gone/error")" "error of gone"
assert_eq "$(printf '%s\n' gone n1)" "$(ls "$NW")" "networks/ after the refused rmdir"
assert_contains "$(ip -o link show "$(cat "$NW/gone/bridge")")" "state UP"
ctr_fail x 16 write network n1
ctr_fail x 16 write ports 80:80
ctr_start y 'sleep 1000'
assert_errno 16 rmdir "$NW/default"
echo 'kill KILL' >"$C/x/ctl"
ctr_wait x >/dev/null
rmdir "$NW/gone"
assert_eq "$(printf '%s\n' default n1)" "$(ls "$NW")" "networks/ after rmdir gone"

ctr_rm_all
net_finish
pass
