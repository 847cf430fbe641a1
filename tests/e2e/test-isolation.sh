#!/bin/bash
# e2e: what a container sees: its own pid namespace, root, mounts, network, fds, /sys, /dev.
set -eu
. "$(dirname "$0")/lib.sh"
setup

ctr_new i

step "pid namespace: pid 1 is the container's own command"
out=$(ctr_out i 'sh -c '\''tr "\000" "|" </proc/1/cmdline; echo; echo $$'\')
assert_eq 'sh|-c|tr "\000" "|" </proc/1/cmdline; echo; echo $$|'$'\n1' "$out" \
	"/proc/1/cmdline and \$\$ inside"
n=$(ctr_out i 'sh -c '\''ls /proc | grep -c "^[0-9][0-9]*$"'\')
assert_range 1 4 "$n" "processes visible inside"

step "the ctrfs mount and the host paths are not in the container's mount table"
assert_eq 0 "$(ctr_out i 'sh -c '\''grep -c fuse /proc/self/mountinfo; true'\')" \
	"fuse mounts inside"
assert_eq 0 "$(ctr_out i "sh -c 'grep -c $T /proc/self/mountinfo; true'")" \
	"mounts naming $T inside"
assert_eq overlay "$(ctr_out i 'sh -c '\''grep "^[^ ]* / " /proc/mounts | cut -d" " -f3'\')" \
	"type of / inside"

step "the host's files are not visible"
marker=ctrfs-marker-$$-$RANDOM
touch "$T/$marker" "$STATE_DIR/$marker" "$DATA_DIR/$marker"
out=$(ctr_out i "sh -c 'find / \\( -path /proc -o -path /sys \\) -prune -o -name $marker -print; true'")
assert_eq "" "$out" "paths named $marker found inside"
# the same find does see a file made inside the container
out=$(ctr_out i "sh -c 'touch /tmp/$marker; find / \\( -path /proc -o -path /sys \\) -prune -o -name $marker -print; true'")
assert_eq "/tmp/$marker" "$out" "find of a file made inside"
rm -f "$T/$marker" "$STATE_DIR/$marker" "$DATA_DIR/$marker"

step "the writable layer is the container's own and survives its runs"
ctr_new j
assert_eq "" "$(ctr_out j "sh -c 'ls /tmp/$marker 2>/dev/null; true'")" "i's file seen from j"
assert_eq "/tmp/$marker" "$(ctr_out i "ls /tmp/$marker")" "i's file in i's next run"
ctr_out j 'sh -c "echo changed > /bin/zz-file"' >/dev/null
assert_eq "" "$(ctr_out i 'sh -c "ls /bin/zz-file 2>/dev/null; true"')" "j's /bin/zz-file seen from i"

step "only fds 0 1 2 are open in the container"
assert_eq $'0\n1\n2' "$(ctr_out i 'sh -c '\''ls /proc/$$/fd; :'\')" "fds of pid 1"

step "network: a network namespace of its own"
# ifaces_of OUTPUT: the interface names in a /proc/net/dev
ifaces_of() {
	tail -n +3 <<<"$1" | cut -d: -f1 | tr -d ' ' | tr '\n' ' '
}
if [ -e "$C/i/network" ]; then
	# the default network gives an eth0; none of the host's links are seen
	inside=$(ifaces_of "$(ctr_out i 'cat /proc/net/dev')")
	assert_eq "lo eth0 " "$inside" "interfaces inside on network $(cat "$C/i/network")"
	for l in $(ifaces_of "$(cat /proc/net/dev)"); do
		[ "$l" == lo ] || assert_not_contains " $inside" " $l " "interfaces inside"
	done
	echo none >"$C/i/network"
fi
assert_eq "lo " "$(ifaces_of "$(ctr_out i 'cat /proc/net/dev')")" "interfaces inside without a network"

step "/sys is read-only"
out=$(ctr_out i 'sh -c '\''touch /sys/x 2>/dev/null && echo writable || echo refused; grep " /sys " /proc/mounts | cut -d" " -f4 | cut -d, -f1'\')
assert_eq $'refused\nro' "$out" "touch /sys/x and the options of /sys"

step "/dev is minimal: null zero full random urandom tty, pts"
out=$(ctr_out i 'sh -c '\''for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done; [ -d /dev/pts ] && echo pts; [ -e /dev/fuse ] && echo fuse; [ -e /dev/mem ] && echo mem; true'\')
assert_eq "/dev/null character special file 1:3
/dev/zero character special file 1:5
/dev/full character special file 1:7
/dev/random character special file 1:8
/dev/urandom character special file 1:9
/dev/tty character special file 5:0
pts" "$out" "devices inside"
out=$(ctr_out i 'sh -c '\''echo x > /dev/null && echo null-ok; head -c 3 /dev/zero | od -An -tx1; echo x > /dev/full || echo full-refused'\')
assert_eq "null-ok
 00 00 00
full-refused" "$(sed 's/ *$//' <<<"$out" | grep -v 'No space left')" "using the devices"

step "uts: the hostname is the container's, the host's is unchanged"
h=$(hostname)
echo iso-host >"$C/i/hostname"
assert_eq iso-host "$(ctr_out i hostname)" "hostname inside"
assert_eq "$h" "$(hostname)" "the host's hostname after the run"

ctr_rm_all
leak_check
pass
