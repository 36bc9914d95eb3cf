#!/bin/sh
# itest_place.sh - placement by the leader, end to end on loopback: three
# agents measure their devices in the background, elect a leader, and a
# `exogpu place` sent to a follower is forwarded to the leader, solved on
# the gossiped snapshot, stamped (term, epoch) and visible from every node.
# Killing the node that hosts a stage makes the leader re-plan (epoch 2;
# the time is printed against the 2 s target).  Bad requests fail with a
# clear message; a release through a follower removes the placement.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
DIR=$(mktemp -d "${TMPDIR:-/tmp}/exogpu-place.XXXXXX") || exit 1
PIDS=
cleanup()
{
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }

fail()
{
	echo "FAIL: $*"
	for f in "$DIR"/a*.log; do
		echo "--- $f"
		tail -n 20 "$f"
	done
	exit 1
}
now() { date +%s.%N; }
elapsed() { awk "BEGIN { printf \"%.2f\", $(now) - $1 }"; }
api() { jq -r .api "$DIR/d$1/run.json"; }
pid() { jq -r .pid "$DIR/d$1/run.json"; }
nid() { jq -r .node_id "$DIR/d$1/run.json"; }

SECRET=$("$EXOGPU" secret) || exit 1
start()
{
	"$EXOGPU" -v agent --data-dir "$DIR/d$1" --name "n$1" \
	    --listen 127.0.0.1:0 --http 127.0.0.1:0 --no-mdns \
	    --join-secret "$SECRET" $2 >"$DIR/a$1.log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$DIR/d$1/run.json" ]; do
		i=$((i + 1))
		[ "$i" -lt 200 ] || fail "agent $1 did not start"
		sleep 0.05
	done
}
start 1 ""
FIRST=$(jq -r '.quic[0]' "$DIR/d1/run.json")
start 2 "--join $FIRST"
start 3 "--join $FIRST"

# A leader everyone agrees on.
i=0
while :; do
	l1=$("$EXOGPU" status --json --api "$(api 1)" | jq -r '.leader // ""')
	l2=$("$EXOGPU" status --json --api "$(api 2)" | jq -r '.leader // ""')
	l3=$("$EXOGPU" status --json --api "$(api 3)" | jq -r '.leader // ""')
	[ -n "$l1" ] && [ "$l1" = "$l2" ] && [ "$l2" = "$l3" ] && break
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "no agreed leader"
	sleep 0.1
done
LEADER=$l1
F=1
[ "$(nid 1)" = "$LEADER" ] && F=2

# Bad requests: clear errors, nothing placed.
out=$("$EXOGPU" place --model no-such-model --api "$(api "$F")" 2>&1) &&
    fail "an unknown model was accepted"
echo "$out" | grep -q "unknown model" || fail "unclear error: $out"
"$EXOGPU" place --api "$(api "$F")" >/dev/null 2>&1 && fail "no --model"

# Place through the follower; retry while devices are still measured.
i=0
while ! out=$("$EXOGPU" place --model llama-3-8b:q4_0 --json \
    --api "$(api "$F")" 2>&1); do
	i=$((i + 1))
	[ "$i" -lt 120 ] || fail "placement never succeeded: $out"
	sleep 0.5
done
echo "$out" | jq -e '.id == 1 and .epoch == 1 and (.stages | length) >= 1
    and .latency_s > 0' >/dev/null || fail "bad placement: $out"
TERM=$(echo "$out" | jq -r .term)
echo "placed through a follower: $(echo "$out" | jq -c '[.stages[].device]')"
# Too big for this machine: infeasible with the shortfall named.
out=$("$EXOGPU" place --model llama-3.1-405b:fp16 --api "$(api "$F")" 2>&1) &&
    fail "an impossible placement succeeded"
echo "$out" | grep -q "needs" || fail "no shortfall in: $out"
echo "infeasible request refused: $out"

# Every node lists it, stamped with the leader's term.
for n in 1 2 3; do
	"$EXOGPU" place --list --json --api "$(api "$n")" |
	    jq -e ".placements[0].id == 1 and .placements[0].term == $TERM" \
	    >/dev/null || fail "node $n does not list the placement"
done

# Kill the node hosting the first stage: the leader re-plans.
HOST=$("$EXOGPU" place --list --json --api "$(api "$F")" |
    jq -r '.placements[0].stages[0].node')
for n in 1 2 3; do
	[ "$(nid "$n")" = "$HOST" ] && H=$n
done
W=1
[ "$H" = 1 ] && W=2
kill -9 "$(pid "$H")"
t0=$(now)
i=0
until "$EXOGPU" place --list --json --api "$(api "$W")" 2>/dev/null |
    jq -e '.placements[0].epoch >= 2' >/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 400 ] || fail "no re-plan after the host died"
	sleep 0.05
done
echo "host node killed: re-planned (epoch 2) after $(elapsed "$t0") s"
"$EXOGPU" place --list --json --api "$(api "$W")" |
    jq -e ".placements[0].stages | all(.node != \"$HOST\")" >/dev/null ||
    fail "the new plan still uses the dead node"

# Release through whichever node is left.
"$EXOGPU" place --release 1 --api "$(api "$W")" >/dev/null ||
    fail "release failed"
i=0
until "$EXOGPU" place --list --json --api "$(api "$W")" |
    jq -e '.placements | length == 0' >/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "the placement is still listed"
	sleep 0.05
done
echo "PASS"
exit 0
