#!/bin/sh
# itest_mesh.sh - probe mode's bounded sessions (docs/cluster.md, "Sessions
# and the neighbourhood") in real agents: ten agents on loopback with
# --neighbours 2 --max-sessions 3 form one cluster and all see all alive;
# then, idle, every node's neighbour count matches the pair scores' rule
# at both ends (the sum over nodes is even), followers hold fewer
# sessions than a full mesh and some idle ones were closed for the cap,
# nobody is declared dead; a kill -9 is still noticed as dead by every
# survivor, it comes back on another port and every node sees it alive
# again, and a placement is still made (its partners' sessions stay).
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq curl
setup mesh
FAIL_LOGS="a*.log"
N=10
ALL=$(seq 1 "$N" | tr '\n' ' ')
ARGS="--no-bench --neighbours 2 --max-sessions 3"

# Placement needs measured devices: measure once, copy the registry cache.
"$EXOGPU" -q devices --bench --data-dir "$DIR/d0" >/dev/null ||
    fail "exogpu devices --bench"
for i in $(seq 1 "$N"); do
	mkdir -m 700 "$DIR/d$i" && cp "$DIR/d0/devices.json" "$DIR/d$i/" ||
	    fail "cannot copy the registry cache"
done

# shellcheck disable=SC2086
start 1 $ARGS
for i in $(seq 2 "$N"); do
	# shellcheck disable=SC2086
	start "$i" $ARGS --join "$(quic 1)"
done
wait_leader "$ALL" 900 "$N"

alive_on() # N: members node N lists alive (itself included)
{
	curl -sf "http://$(api "$1")/v1/members" |
	    jq '[.[] | select(.state == "alive")] | length'
}
metric() # N NAME
{
	curl -sf "http://$(api "$1")/metrics" |
	    awk -v m="$2" '$1 == m { print $2 }'
}

all_alive() # WHAT: every node lists N alive within 30 s, else fail
{
	_i=0
	for _n in $ALL; do
		until [ "$(alive_on "$_n")" = "$N" ]; do
			_i=$((_i + 1))
			[ "$_i" -lt 300 ] || fail "node $_n does not see $1"
			sleep 0.1
		done
	done
}

all_alive "$N alive"
echo "$N agents, --neighbours 2 --max-sessions 3: all see all alive"

# Idle: SWIM probes each member every 4.5 s here, so probe sessions idle
# for 2 s between uses and followers over the cap close them.
sleep 15
sum=0
full=0
evicted=0
for n in $ALL; do
	nb=$(metric "$n" exogpu_neighbours)
	se=$(metric "$n" exogpu_sessions)
	ev=$(metric "$n" exogpu_sessions_evicted_total)
	[ -n "$nb" ] && [ -n "$se" ] && [ -n "$ev" ] ||
	    fail "node $n: no session metrics"
	sum=$((sum + nb))
	evicted=$((evicted + ev))
	[ "$n" = "$L" ] && continue
	[ "$se" -lt $((N - 1)) ] || full=$((full + 1))
done
[ $((sum % 2)) = 0 ] || fail "neighbour counts sum to $sum: not symmetric"
[ "$evicted" -gt 0 ] || fail "no session was closed for --max-sessions"
[ "$full" -lt $((N - 1)) ] || fail "every follower holds a full mesh"
for n in $ALL; do
	[ "$(alive_on "$n")" = "$N" ] || fail "node $n lost a member while idle"
done
grep -l -- "-> dead" "$DIR"/a*.log >/dev/null &&
    fail "a live member was declared dead"
echo "idle 15 s: $((sum / 2)) neighbour pairs, $evicted sessions closed" \
    "for the cap, $full of $((N - 1)) followers at $((N - 1)) sessions," \
    "nobody dead"

# A follower that is not node 1 dies; the others notice without a mesh.
V=
for n in $ALL; do
	[ "$n" != 1 ] && [ "$n" != "$L" ] && V=$n
done
kill -9 "$(pid "$V")"
t0=$(now)
i=0
for n in $ALL; do
	[ "$n" = "$V" ] && continue
	until curl -sf "http://$(api "$n")/v1/members" |
	    jq -e --arg id "$(nid "$V")" \
	    '.[] | select(.node_id == $id and .state == "dead")' >/dev/null
	do
		i=$((i + 1))
		[ "$i" -lt 200 ] || fail "node $n does not see node $V dead"
		sleep 0.1
	done
done
echo "node $V killed: dead on every survivor after $(elapsed "$t0") s"

# It comes back on another port (--listen 127.0.0.1:0), same identity:
# every member must find it at its new address, not keep dialling the
# old one (its own probes reach every member within a probe round, each
# from the new address).
old=$(quic "$V")
rm -f "$DIR/d$V/run.json"
# shellcheck disable=SC2086
start "$V" $ARGS --join "$(quic 1)"
[ "$(quic "$V")" != "$old" ] || fail "node $V restarted on its old port"
t0=$(now)
all_alive "node $V back"
i=0
for n in $ALL; do
	[ "$n" = "$V" ] && continue
	until [ "$(curl -sf "http://$(api "$n")/v1/peers" | jq -r \
	    --arg id "$(nid "$V")" '.[] | select(.node_id == $id) | .addr')" \
	    = "$(quic "$V")" ]; do
		i=$((i + 1))
		[ "$i" -lt 300 ] || fail "node $n has node $V at an old address"
		sleep 0.1
	done
done
echo "node $V restarted at $(quic "$V") (was $old): alive and at its new" \
    "address on every node after $(elapsed "$t0") s"

retry_place 120 --model llama-3-8b:q4_0 --context 512 --json \
    --api "$(api 1)" || fail "no placement: $out"
echo "placement: $(echo "$out" | jq -c '[.stages[].node]')"
echo PASS
