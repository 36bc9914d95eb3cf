#!/bin/sh
# itest_place.sh - placement by the leader, end to end on loopback: three
# agents measure their devices in the background, elect a leader, and a
# `exogpu place` sent to a follower is forwarded to the leader, solved on
# the gossiped snapshot, stamped (term, epoch) and visible from every node.
# Killing the node that hosts a stage makes the leader re-plan (epoch 2;
# the time is printed against the 2 s target).  Bad requests fail with a
# clear message; a release through a follower removes the placement.
# A GGUF model is placed too and printed as llama.cpp commands.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq
setup place
start 1
FIRST=$(quic 1)
start 2 --join "$FIRST"
start 3 --join "$FIRST"

# A leader everyone agrees on.
wait_leader "1 2 3"
F=1
[ "$L" = 1 ] && F=2

# Bad requests: clear errors, nothing placed.
out=$("$EXOGPU" place --model no-such-model --api "$(api "$F")" 2>&1) &&
    fail "an unknown model was accepted"
echo "$out" | grep -q "unknown model" || fail "unclear error: $out"
"$EXOGPU" place --api "$(api "$F")" >/dev/null 2>&1 && fail "no --model"

# Place through the follower; retry while devices are still measured.
retry_place 120 --model llama-3-8b:q4_0 --json --api "$(api "$F")" ||
    fail "placement never succeeded: $out"
echo "$out" | jq -e '.id == 1 and .epoch == 1 and (.stages | length) >= 1
    and .latency_s > 0' >/dev/null || fail "bad placement: $out"
TERM=$(echo "$out" | jq -r .term)
echo "placed through a follower: $(echo "$out" | jq -c '[.stages[].device]')"
# Too big for this machine: infeasible with the shortfall named.
out=$("$EXOGPU" place --model llama-3.1-405b:fp16 --api "$(api "$F")" 2>&1) &&
    fail "an impossible placement succeeded"
echo "$out" | grep -q "needs" || fail "no shortfall in: $out"
echo "infeasible request refused: $out"

# A GGUF model (header read by the CLI), answered as llama.cpp commands.
G="$SRC/tests/fixtures/placement/tiny-llama.gguf"
out=$("$EXOGPU" place --model "$G" --format llama.cpp --api "$(api "$F")" \
    2>&1) || fail "GGUF placement failed: $out"
echo "$out" | grep -q "^ggml-rpc-server -H .* -p 5005[0-9] -d " ||
    fail "no rpc-server command: $out"
echo "$out" | grep -q "^llama-server -m $G --rpc .* --device RPC0.* -ngl 3 \
-sm layer -ts .* -c 4096 --fit off$" || fail "no llama-server command: $out"
"$EXOGPU" place --release 2 --api "$(api "$F")" >/dev/null ||
    fail "release of the GGUF placement failed"
echo "GGUF model placed and printed for llama.cpp"

# Every node lists it from its applied log, stamped with the term of the
# leader that decided it (a later term if a faster plan replaced it).
for n in 1 2 3; do
	i=0
	until "$EXOGPU" place --list --json --api "$(api "$n")" |
	    jq -e ".placements[0].id == 1 and .placements[0].term >= $TERM" \
	    >/dev/null; do
		i=$((i + 1))
		[ "$i" -lt 50 ] || fail "node $n does not list the placement"
		sleep 0.1
	done
done

# Kill the node hosting the first stage: the leader re-plans.
HOST=$("$EXOGPU" place --list --json --api "$(api "$F")" |
    jq -r '.placements[0].stages[0].node')
H=$(node_of "$HOST" 1 2 3)
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
