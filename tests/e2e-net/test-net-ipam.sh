#!/bin/bash
# IPAM through the files: a /28 (13 addresses besides the gateway) filled with running
# containers, the next run is ENOSPC and says why; released addresses come back next-fit (a
# just released one is not handed out while another is free); bad CIDRs are EINVAL,
# overlapping ones EEXIST, a subnet write while endpoints exist EBUSY.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net-lib.sh"

net_setup

ctr_kill() {
	echo 'kill KILL' >"$C/$1/ctl"
	ctr_wait "$1" >/dev/null
}

step "a network re-planned on a /28"
mkdir "$NW/small"
assert_file "$NW/small/subnet" 10.88.0.0/24
br=$(cat "$NW/small/bridge")
echo 10.99.0.0/28 >"$NW/small/subnet"
assert_file "$NW/small/subnet" 10.99.0.0/28
assert_file "$NW/small/gateway" 10.99.0.1
assert_file_empty "$NW/small/error"
assert_eq "$br" "$(cat "$NW/small/bridge")" "bridge after the re-plan"
assert_contains "$(ip -o -4 addr show dev "$br")" "inet 10.99.0.1/28 brd 10.99.0.15"
assert_eq 1 "$(ip -o -4 addr show dev "$br" | wc -l)" "addresses of $br after the re-plan"
assert_eq 'subnet 10.99.0.0/28
gateway 10.99.0.1
used 0 of 13
next 10.99.0.1
10.99.0.0       c001' "$(cat "$NW/small/ipam")" "ipam of the empty /28"
assert_contains "$(nft list set ip ctrfs subnets)" "10.99.0.0/28"
assert_not_contains "$(nft list set ip ctrfs subnets)" "10.88.0.0/24"

step "bad CIDRs: EINVAL, nothing changed"
mkdir "$NW/spare"
spare=$(cat "$NW/spare/subnet")
assert_eq 10.88.0.0/24 "$spare" "subnet of spare (the pool's first, free again)"
for bad in 10.99.1.1/28 10.99.1.0/33 abc 10.99.1.0/31 10.99.1.0/7 10.99.1.0 10.99.1.0/ \
	010.99.1.0/28 10.99.1.0/28/1 10.99.1/28 256.99.1.0/28 ' 10.99.1.0/28' 10.99.1.0/-1 ''; do
	ctr_net_errno=$(errno_of write "$NW/spare/subnet" "$bad")
	assert_eq 22 "$ctr_net_errno" "errno of writing [$bad] to subnet"
	assert_match '^Bad subnet ' "$(cat "$NW/spare/error")" "error after [$bad]"
	assert_file "$NW/spare/subnet" "$spare"
done
# the sentence quotes the value as written, less the newline echo adds
errno_of write "$NW/spare/subnet" abc >/dev/null
got=$(cat "$NW/spare/error")
[ "$got" == 'Bad subnet "abc": A.B.C.D/N with N from 8 to 30 and no host bits' ] ||
	soft_fail "error after writing abc to subnet: [$(printf %q "$got")]"
step "overlapping another network or a route of the host: EEXIST"
for bad in 10.99.0.0/28 10.99.0.0/24 10.99.0.8/29 10.0.0.0/8; do
	assert_errno 17 write "$NW/spare/subnet" "$bad"
	assert_match '^Subnet .* overlaps another network or a route of the host$' \
		"$(cat "$NW/spare/error")" "error after [$bad]"
	assert_file "$NW/spare/subnet" "$spare"
done
ip link add cex-v0 type veth peer name cex-v1
LINKS_MADE="$LINKS_MADE cex-v0"
ip addr add 192.168.60.1/24 dev cex-v0
ip link set cex-v0 up
ip link set cex-v1 up
assert_errno 17 write "$NW/spare/subnet" 192.168.60.0/24
assert_errno 17 write "$NW/spare/subnet" 192.168.60.128/25
# the smallest allowed prefix, /30: one address
echo 10.99.2.0/30 >"$NW/spare/subnet"
assert_contains "$(cat "$NW/spare/ipam")" "used 0 of 1"
# a network's own subnet again is fine
echo 10.99.2.0/30 >"$NW/spare/subnet"
assert_file "$NW/spare/subnet" 10.99.2.0/30
rmdir "$NW/spare"

step "fill the /28 with 13 running containers"
for i in $(seq 1 13); do
	ctr_start "s$i" 'sleep 1000' small
	assert_file "$C/s$i/ip" "10.99.0.$((i + 1))"
done
assert_eq 'subnet 10.99.0.0/28
gateway 10.99.0.1
used 13 of 13
next 10.99.0.15
10.99.0.0       ffff' "$(cat "$NW/small/ipam")" "ipam of the full /28"
assert_eq 13 "$(wc -l <"$NW/small/endpoints")" "endpoints of the full /28"

step "the 14th: ENOSPC, not started, says why"
ctr_new s14
echo small >"$C/s14/network"
ctr_fail s14 28 write ctl run
assert_eq "No address left in network small (No space left on device)" "$LAST_ERROR" "error of s14"
assert_eq created "$(ctr_status s14)" "status of s14"
assert_file_empty "$C/s14/ip"
assert_eq 13 "$(ipam_used small)" "used after ENOSPC"
assert_eq 13 "$(wc -l <"$NW/small/endpoints")" "endpoints after ENOSPC"

step "a subnet write with endpoints: EBUSY"
assert_errno 16 write "$NW/small/subnet" 10.99.1.0/28
assert_eq "Network small has endpoints" "$(cat "$NW/small/error")" "error of small"
assert_file "$NW/small/subnet" 10.99.0.0/28

step "release two, then next-fit"
ctr_kill s2 # 10.99.0.3
ctr_kill s6 # 10.99.0.7
assert_eq 11 "$(ipam_used small)" "used after two stopped"
assert_file_empty "$C/s2/ip"
ctr_run s14 'sleep 1000'
assert_file "$C/s14/ip" 10.99.0.3
ctr_kill s14 # 10.99.0.3 again: just released
ctr_new s15
echo small >"$C/s15/network"
ctr_run s15 'sleep 1000'
assert_file "$C/s15/ip" 10.99.0.7
ctr_new s16
echo small >"$C/s16/network"
ctr_run s16 'sleep 1000'
assert_file "$C/s16/ip" 10.99.0.3
assert_eq 13 "$(ipam_used small)" "used when full again"
ctr_fail s2 28 write ctl run
assert_eq "No address left in network small (No space left on device)" "$LAST_ERROR" "error of s2"
assert_match '^exited ' "$(ctr_status s2)" "status of s2 after ENOSPC"
assert_eq "$(seq 2 14 | sed 's/^/10.99.0./' | sort)" "$(cut -d' ' -f2 "$NW/small/endpoints" | sort)" \
	"addresses in endpoints"
assert_eq 13 "$(cut -d' ' -f3 "$NW/small/endpoints" | sort -u | wc -l)" "distinct veths"

step "everything released"
ctr_rm_all
assert_eq 'subnet 10.99.0.0/28
gateway 10.99.0.1
used 0 of 13' "$(head -n3 "$NW/small/ipam")" "ipam after all went"
assert_eq "10.99.0.0       c001" "$(tail -n1 "$NW/small/ipam")" "bitmap after all went"
# the bitmap is persisted as the same text
assert_eq "$(cat "$NW/small/ipam")" "$(cat "$DATA_DIR/networks/small/ipam")" "persisted ipam"
net_finish
soft_check
pass
