# ops-lib.sh: helpers shared by the tests in tests/e2e-ops (limits, exec, hardening, pause).
# Sourced after tests/e2e/lib.sh (whose setup, assertions and leak_check they use).
# shellcheck shell=bash

# cg_available CONTROLLER: the daemon (which runs in our cgroup) may make cgroups of that
# controller: on v1, our path in its hierarchy is not "/" (the root of the hierarchy is not
# delegated to us); on v2 (no v1 line names it), our path is not "/" and the controller is
# enabled for our cgroup's children, or at least listed as available to it.
cg_available() {
	local want=$1 line hid ctrls path c v2=
	while IFS= read -r line; do
		hid=${line%%:*}
		line=${line#*:}
		ctrls=${line%%:*}
		path=${line#*:}
		if [ "$hid" == 0 ] && [ -z "$ctrls" ]; then
			v2=$path
			continue
		fi
		for c in ${ctrls//,/ }; do
			[ "$c" == "$want" ] || continue
			[ "$path" != / ] && return 0
			return 1
		done
	done </proc/self/cgroup
	[ -n "$v2" ] && [ "$v2" != / ] || return 1
	[ -r "/sys/fs/cgroup$v2/cgroup.controllers" ] || return 1
	grep -qw "$want" "/sys/fs/cgroup$v2/cgroup.controllers"
}

# stat_of NAME KEY: one value of containers/NAME/stats
stat_of() {
	awk -v k="$2" '$1 == k { print $2; found = 1 } END { exit !found }' "$C/$1/stats"
}

# ex_start NAME CMD: take a session of NAME, start CMD in it; EX is the session directory
ex_start() {
	local n
	n=$(cat "$C/$1/exec/new")
	[[ $n =~ ^[0-9]+$ ]] || fail "$1/exec/new gave [$n], not a number"
	EX=$C/$1/exec/$n
	printf '%s\n' "$2" >"$EX/cmd"
}

# ex_finish: the output of the session EX (printed) and its exit code (EX_STATUS)
ex_finish() {
	timeout 20 cat "$EX/output" || fail "cat $EX/output failed"
	EX_STATUS=$(timeout 20 cat "$EX/status") || fail "cat $EX/status failed"
}

# ex NAME CMD [CODE]: run CMD in NAME through exec/, check its exit code (default 0), print
# its output
ex() {
	local out
	ex_start "$1" "$2"
	out=$(ex_finish && printf '\n%s' "$EX_STATUS")
	EX_STATUS=${out##*$'\n'}
	out=${out%$'\n'*}
	assert_eq "${3:-0}" "$EX_STATUS" "exit code of [$2] in $1 (output [$out], error [$(cat "$EX/error")])"
	printf '%s\n' "$out"
}
