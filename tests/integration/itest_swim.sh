#!/bin/sh
# itest_swim.sh - membership probe mode (SWIM) in real agents: four agents
# on loopback with --membership probe (no QUIC keep-alives; probes,
# indirect probes and suspicion decide) form a cluster and stay all alive
# while idle; a kill -9 is noticed as dead by every survivor (bounded
# generously for a loaded CI machine; bench_idle.sh measures it) with
# nobody else suspected; the killed node restarted on its data dir is
# alive again everywhere (its new incarnation refutes its death).
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq curl
setup swim
FAIL_LOGS="a*.log"

start 1 --membership probe --no-bench
for i in 2 3 4; do
	start "$i" --membership probe --no-bench --join "$(quic 1)"
done
wait_leader "1 2 3 4" 600 4

# The state node $1 gives node id $2 in /v1/members ("none" if unlisted).
state()
{
	curl -sf "http://$(api "$1")/v1/members" |
	    jq -r --arg id "$2" '(map(select(.node_id == $id))[0].state) //
	    "none"'
}

# Every one of the nodes $1 sees every one of the nodes $2 as $3.
all_see()
{
	for _as_o in $1; do
		for _as_t in $2; do
			[ "$(state "$_as_o" "$(nid "$_as_t")")" = "$3" ] ||
			    return 1
		done
	done
	return 0
}

i=0
until all_see "1 2 3 4" "1 2 3 4" alive; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "not every node sees every node alive"
	sleep 0.1
done
# Idle for a while: probes only, nobody suspected.
sleep 6
all_see "1 2 3 4" "1 2 3 4" alive ||
    fail "a member was suspected while idle"
grep -q "membership: probe" "$DIR/a1.log" ||
    fail "the agent does not say it runs probe mode"
probes=$(curl -sf "http://$(api 1)/metrics" |
    awk '$1 == "exogpu_member_probes_total" { print $2 }')
[ "${probes:-0}" -gt 5 ] || fail "no probes in /metrics: '$probes'"
echo "four agents in probe mode: all alive, and still after 6 s idle" \
    "($probes probes from node 1)"

VICTIM=$(nid 4)
kill -9 "$(pid 4)"
t0=$(now)
i=0
until all_see "1 2 3" 4 dead; do
	i=$((i + 1))
	[ "$i" -lt 150 ] || fail "the killed node is not dead everywhere \
after 15 s"
	sleep 0.1
done
echo "killed node $VICTIM dead on every survivor after $(elapsed "$t0") s"
all_see "1 2 3" "1 2 3" alive || fail "a survivor was suspected"

start 4 --membership probe --no-bench --join "$(quic 1)"
t0=$(now)
i=0
until all_see "1 2 3 4" 4 alive; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "the restarted node is not alive everywhere"
	sleep 0.1
done
echo "restarted node alive everywhere after $(elapsed "$t0") s"
echo "PASS"
