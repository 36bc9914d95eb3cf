#!/bin/sh
# itest_cluster_lab.sh - the zero-config cluster in a 5-host lab.
#
# Five `exogpu agent`s, each in its own network namespace with its own
# D-Bus and avahi-daemon (tests/discovery/mdns_lab.sh, the DESIGN.md
# recipe), get nothing but one join secret.  Checked, in order:
#   1. they find each other over mDNS, connect, converge (5 alive members
#      everywhere) and elect one leader that all agree on;
#   2. avahi-browse in the lab shows our service with the documented TXT
#      keys (interop);
#   3. kill -9 of the leader: the other four agree on a new leader (time
#      printed); the killed node restarts from its data dir and rejoins
#      with its persisted raft term (DATA/raft);
#   4. nodes 4 and 5 are cut off (their bridge ports moved to a second
#      bridge): that side reports no leader and quorum false, the
#      majority keeps a leader with quorum;
#   5. heal: one leader again, the same one everywhere, 5 alive members.
# $1: the exogpu binary, $2: the source tree.  Root only; exit 77 (skip)
# otherwise or when the lab's tools are missing.
set -u
EXOGPU=$1
SRC=$2
. "$SRC/tests/discovery/mdns_lab.sh"
if ! why=$(mlab_check); then
	echo "SKIP: $why"
	exit 77
fi
mlab_init
BR="${MLAB_ID}br"
N="1 2 3 4 5"
SECRET=$("$EXOGPU" secret) || exit 1
(umask 077 && echo "$SECRET" >"$MLAB_DIR/secret") || exit 1

for n in $N; do
	mlab_add_node "$n"
	mlab_dbus_start "$n"
	mlab_avahi_start "$n"
done

start_agent()
{
	mlab_spawn "$1" "$MLAB_DIR/agent$1.log" "$EXOGPU" -v agent \
	    --data-dir "$MLAB_DIR/data$1" --name "node$1" \
	    --join-secret-file "$MLAB_DIR/secret" --probe-interval 0 --no-bench
	eval "AGENT_$1=\$MLAB_LAST_PID"
}

now() { date +%s.%N; }
elapsed() { awk "BEGIN { printf \"%.2f\", $(now) - $1 }"; }

fail()
{
	echo "FAIL: $*"
	for n in $N; do
		echo "--- node $n status:"
		mlab_exec "$n" "$EXOGPU" status 2>&1 | tail -n 4
		echo "--- agent $n log (tail):"
		tail -n 15 "$MLAB_DIR/agent$n.log"
	done
	exit 1
}

# field NODE KEY: one value from `exogpu status --json` (jq).
field()
{
	mlab_exec "$1" "$EXOGPU" status --json 2>/dev/null |
	    jq -r ".$2" 2>/dev/null
}

# agree NODES...: prints the leader all NODES report with quorum, or "".
agree()
{
	_l=
	for _n in "$@"; do
		_x=$(mlab_exec "$_n" "$EXOGPU" status --json 2>/dev/null |
		    jq -r 'if .quorum then .leader // "" else "" end' \
		    2>/dev/null)
		[ -n "$_x" ] || { echo ""; return; }
		[ -z "$_l" ] || [ "$_l" = "$_x" ] || { echo ""; return; }
		_l=$_x
	done
	echo "$_l"
}

# wait_for SECONDS WHAT CMD...: polls CMD until it succeeds.
wait_for()
{
	_limit=$1
	_what=$2
	shift 2
	_t0=$(now)
	while ! "$@"; do
		if [ "$(awk "BEGIN { print ($(now) - $_t0 > $_limit) }")" = 1 ]
		then
			fail "$_what (waited $_limit s)"
		fi
		sleep 0.1
	done
}

converged()
{
	for _n in "$@"; do
		[ "$(field "$_n" members_alive)" = "$#" ] || return 1
	done
	[ -n "$(agree "$@")" ]
}

# ---- 1. converge and elect
t0=$(now)
for n in $N; do
	start_agent "$n"
done
wait_for 60 "no converged cluster of 5" converged 1 2 3 4 5
LEADER=$(agree 1 2 3 4 5)
echo "1. converged: 5 alive members, leader $LEADER, after $(elapsed "$t0") s"

# ---- 2. interop: avahi-browse sees our service and TXT keys
browse=$(mlab_exec 1 avahi-browse -rpt _exo-gpu._tcp 2>/dev/null)
for key in '"id=' '"v=1"' '"trust=secret"'; do
	echo "$browse" | grep -q "$key" ||
	    fail "avahi-browse lacks $key: $browse"
done
echo "2. avahi-browse -rpt _exo-gpu._tcp shows id=, v=1, trust=secret"

# ---- 3. kill -9 the leader
for n in $N; do
	[ "$(field "$n" node_id)" = "$LEADER" ] && LN=$n
done
TERM_BEFORE=$(field "$LN" term)
eval "kill -9 \$AGENT_$LN"
REST=
for n in $N; do
	[ "$n" = "$LN" ] || REST="$REST $n"
done
t0=$(now)
new_leader() { _l=$(agree $REST); [ -n "$_l" ] && [ "$_l" != "$LEADER" ]; }
wait_for 10 "no new leader after kill -9 of node $LN" new_leader
echo "3. leader (node $LN) killed: new leader $(agree $REST) after" \
    "$(elapsed "$t0") s"
start_agent "$LN"
wait_for 40 "node $LN did not rejoin" converged 1 2 3 4 5
[ "$(field "$LN" term)" -ge "$TERM_BEFORE" ] ||
    fail "node $LN lost its persisted term"
echo "   node $LN restarted from its data dir (term $TERM_BEFORE persisted)" \
    "and rejoined"

# ---- 4. partition: nodes 4 and 5 on their own bridge
ip -n "$BR" link add br1 type bridge mcast_snooping 0 &&
    ip -n "$BR" link set br1 up &&
    ip -n "$BR" link set p4 master br1 &&
    ip -n "$BR" link set p5 master br1 || fail "cannot partition"
t0=$(now)
minority_lost()
{
	for _n in 4 5; do
		[ "$(field "$_n" quorum)" = false ] || return 1
		[ "$(field "$_n" leader)" = null ] || return 1
	done
}
majority_ok() { [ -n "$(agree 1 2 3)" ]; }
wait_for 15 "minority still claims a leader" minority_lost
wait_for 15 "majority has no leader" majority_ok
echo "4. partitioned: nodes 4-5 report no leader (quorum false) after" \
    "$(elapsed "$t0") s; nodes 1-3 keep leader $(agree 1 2 3)"
sleep 2
minority_lost || fail "the minority elected a leader"
majority_ok || fail "the majority lost its leader"

# ---- 5. heal
ip -n "$BR" link set p4 master br0 &&
    ip -n "$BR" link set p5 master br0 || fail "cannot heal"
t0=$(now)
wait_for 60 "no single view after healing" converged 1 2 3 4 5
echo "5. healed: one leader $(agree 1 2 3 4 5), 5 alive members everywhere," \
    "after $(elapsed "$t0") s"
echo "PASS"
exit 0
