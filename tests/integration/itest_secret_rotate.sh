#!/bin/sh
# itest_secret_rotate.sh - `exogpu secret rotate` on real agents (issue
# #14, finding 3: knowing the join secret once was membership forever).
# Node 1 starts a rotation with a short overlap and restarts: a node that
# still holds only the old secret joins it during the overlap; after the
# overlap node 1 restarts on the next secret, refuses the old-secret node
# and accepts a node holding the next secret.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq
setup rotate
AGENT_V=

connected() { # N: agent N's connected peer count
	"$EXOGPU" status --json --api "$(api "$1")" | jq -r .peers_connected
}
wait_connected() { # N COUNT TRIES
	_i=0
	until [ "$(connected "$1")" = "$2" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt "$3" ] || return 1
		sleep 0.1
	done
	return 0
}
restart1() {
	_p=$(pid 1)
	kill "$_p" || fail "kill"
	while kill -0 "$_p" 2>/dev/null; do sleep 0.05; done
	rm -f "$DIR/d1/run.json"
	start 1 --no-bench --listen "$Q1" "$@"
}

start 1 --no-bench
Q1=$(quic 1)
out=$("$EXOGPU" secret rotate --data-dir "$DIR/d1" --overlap 10s) ||
    fail "rotate: $out"
NEW=$(echo "$out" | sed -n 's/^  \(exo1-[a-z0-9-]*\)$/\1/p')
[ -n "$NEW" ] || fail "no next secret printed: $out"
[ "$(stat -c %a "$DIR/d1/join-secret.next")" = 600 ] ||
    fail "join-secret.next is not 0600"
"$EXOGPU" secret rotate --data-dir "$DIR/d1" >/dev/null 2>&1 &&
    fail "a second rotation replaced the first without --force"
T0=$(now)
restart1
grep -q "accepted too until" "$DIR/a1.log" || fail "no rotation notice"

# During the overlap the old secret still joins.
start 2 --no-bench --join "$Q1"
wait_connected 2 1 100 || fail "an old-secret node could not join"
echo "overlap: a node with the old secret joined"

# After the overlap node 1 switches to the next secret.
while [ "$(awk "BEGIN { print ($(now) - $T0 < 11) }")" = 1 ]; do
	sleep 0.5
done
restart1 --join "$(quic 2)"
grep -q "rotation in .* has ended" "$DIR/a1.log" ||
    fail "no switch notice (the secret came from the environment)"
sleep 3
[ "$(connected 1)" = 0 ] || fail "the old secret is still accepted"
grep -qi 'certificate\|verif' "$DIR/a1.log" "$DIR/a2.log" ||
    fail "no certificate refusal logged"
echo "after the overlap: the old-secret node is refused"
SECRET=$NEW
start 3 --no-bench --join "$Q1"
wait_connected 3 1 100 || fail "a node with the next secret could not join"
echo "a node with the next secret joined"
