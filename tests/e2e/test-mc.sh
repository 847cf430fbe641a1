#!/bin/bash
# e2e: a file manager (Midnight Commander, in tmux) browses a container's root/ and copies a
# host file into it with F5; the container then reads it.
set -eu
. "$(dirname "$0")/lib.sh"

if ! command -v mc >/dev/null || ! command -v tmux >/dev/null; then
	echo "SKIP: mc or tmux is absent (install Debian's mc and tmux)"
	exit 77
fi
setup
SESSION=ctrfs-e2e-mc-$$
mc_quit() { tmux kill-session -t "$SESSION" 2>/dev/null || true; }
trap 'mc_quit' RETURN

step "mc shows root/etc of a container"
ctr_new m
mkdir -p "$T/src" "$T/mchome"
echo "copied by mc" >"$T/src/zz-from-mc.txt"
HOME=$T/mchome TERM=xterm tmux new-session -d -s "$SESSION" -x 120 -y 30 \
	"mc --nosubshell --nocolor '$T/src' '$C/m/root/etc'"
wait_for 10 sh -c "tmux capture-pane -t $SESSION -p | grep -q ' passwd '"
screen=$(tmux capture-pane -t "$SESSION" -p)
assert_match 'group' "$screen" "mc's right panel lists root/etc"

step "F5 copies a file into root/etc"
tmux send-keys -t "$SESSION" Down
sleep 0.3
tmux send-keys -t "$SESSION" F5
sleep 1
tmux send-keys -t "$SESSION" Enter
wait_for 10 test -f "$C/m/root/etc/zz-from-mc.txt"
assert_file "$C/m/root/etc/zz-from-mc.txt" "copied by mc"
tmux send-keys -t "$SESSION" F10
sleep 0.5
mc_quit

step "the container reads what mc copied"
ctr_run m 'cat /etc/zz-from-mc.txt'
assert_eq 0 "$(ctr_wait m)" "exit code of cat"
assert_file "$C/m/logs-now" "copied by mc"

ctr_rm_all
leak_check
pass
