#!/bin/sh
# itest_lab_link.sh - checks the link figures that real `exogpu agent`
# processes report against ground truth we set up ourselves, in the
# network-namespace lab of tests/lab/lab.sh.
#
# Usage: itest_lab_link.sh EXOGPU_BINARY SOURCE_DIR   (ctest passes both)
# Exit 0 pass, 1 fail, 77 skipped (not root, no netns/tc/iperf3/jq).
#
# Why it is shaped this way: a figure is only checked if something
# independent of the agent fixes what it must be.
#   1. Bandwidth.  Node 1's egress is shaped by tbf.  iperf3 (TCP, n1 -> n2,
#      5 s) measures what the shaped link delivers; then node 1's agent
#      probes node 2 (`exogpu peers --probe`).  The agent keeps only its
#      latest probe result in either direction; node 1's is the OUTGOING
#      one (sender side: first write to last ack) and node 2's the
#      INCOMING one (receiver side: first to last byte) of the same
#      transfer.  Both are compared with iperf3's receiver-side goodput,
#      the like-for-like figure (iperf3's sender figure counts bytes still
#      in its socket buffer).  PASS: within LAB_TOL (10 %).
#   2. Delay.  Node 3's agent joins node 1's THROUGH tests/lab/udp_relay.c
#      in the bridge namespace, which holds every datagram DELAY ms each
#      way (no netem here).  Expected RTT = 2 x DELAY + the base RTT of the
#      same path without the relay (the smallest rtt_s.min of node 2's two
#      direct links to node 1, which cross the same bridge).  PASS: node 3's
#      and node 1's rtt_s.min within LAB_TOL.  min, not smoothed, because
#      smoothed mixes in the peer's ack delay (up to max_ack_delay, 25 ms
#      by default) and queueing; min is the path's propagation time, which
#      is what the relay fixes.  Both are printed.
# A hard-coded or wrongly scaled figure fails: the unshaped link runs at
# over 1 Gbit/s and the direct RTT is ~0.1 ms, far from what is checked.
EXOGPU=${1:?usage: itest_lab_link.sh EXOGPU SOURCE_DIR}
SRC=${2:?usage: itest_lab_link.sh EXOGPU SOURCE_DIR}
LAB_LIB="$SRC/tests/lab/lab.sh"
RATE_KBIT=${LAB_RATE_KBIT:-40000}	# 40 Mbit/s: easy for a 2-core box
PROBE_BYTES=${LAB_PROBE_BYTES:-16777216}	# ~3.5 s at 40 Mbit/s
DELAY_MS=${LAB_DELAY_MS:-25}
LAB_TOL=${LAB_TOL:-0.10}

skip()
{
	echo "SKIP itest_lab_link: $*"
	exit 77
}

[ -x "$EXOGPU" ] || { echo "FAIL: $EXOGPU is not executable"; exit 1; }
[ -r "$LAB_LIB" ] || { echo "FAIL: $LAB_LIB missing"; exit 1; }
# shellcheck source=tests/lab/lab.sh
. "$LAB_LIB"
why=$(lab_check) || skip "$why"
command -v iperf3 >/dev/null 2>&1 || skip "iperf3 not installed"

FAILS=0
fail()
{
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

# within A B TOL: 0 when |A/B - 1| <= TOL (and both are positive numbers).
within()
{
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN {
		if (a + 0 <= 0 || b + 0 <= 0) exit 1
		r = a / b - 1; if (r < 0) r = -r
		exit !(r <= t)
	}'
}

# LAB_SECRET is read by lab_agent_start.
LAB_SECRET=$("$EXOGPU" secret) || { echo "FAIL: exogpu secret"; exit 1; }
T0=$(lab_now)
lab_init
RELAY=$(lab_relay_bin) || { echo "FAIL: no udp_relay"; exit 1; }
lab_add_node 1
lab_add_node 2
lab_add_node 3
echo "lab: namespaces $(lab_ns br) $(lab_ns 1) $(lab_ns 2) $(lab_ns 3)," \
    "scratch $LAB_DIR"

# --- 1. bandwidth ---------------------------------------------------------
lab_shape 1 "$RATE_KBIT"
lab_spawn 2 "$LAB_DIR/iperf3-server.log" iperf3 -s -1 -B "$(lab_addr 2)" \
    -p 5201
# The server needs a moment to listen: retry the connection briefly.
# iperf3 3.12 with -J can exit 0 after "Connection refused", so success
# is a report with a receiver figure, not the exit code.
try=0
while ! lab_exec 1 iperf3 -c "$(lab_addr 2)" -p 5201 -t 5 -J \
    >"$LAB_DIR/iperf3.json" 2>"$LAB_DIR/iperf3.err" ||
    ! jq -e '.end.sum_received.bits_per_second > 0' "$LAB_DIR/iperf3.json" \
    >/dev/null 2>&1; do
	try=$((try + 1))
	if [ $try -ge 20 ]; then
		cat "$LAB_DIR/iperf3.json" "$LAB_DIR/iperf3.err" \
		    "$LAB_DIR/iperf3-server.log"
		echo "FAIL: iperf3 did not run"
		exit 1
	fi
	sleep 0.1
done
IPERF_BPS=$(jq '.end.sum_received.bits_per_second' "$LAB_DIR/iperf3.json")
IPERF_TX_BPS=$(jq '.end.sum_sent.bits_per_second' "$LAB_DIR/iperf3.json")

lab_agent_start 1 n1 7001 --probe-bytes "$PROBE_BYTES" --probe-interval 0
lab_agent_start 2 n2 7002 --probe-bytes 4096 --probe-interval 0 \
    --join "$(lab_addr 1):7001"
UP2=$(lab_now)
ID1=$(lab_agent_id 1)
ID2=$(lab_agent_id 2)
if ! CONNECT_S=$(lab_wait_connected 2 20 "$ID1" "$UP2"); then
	lab_peers 2
	cat "$(lab_agent_log 1)" "$(lab_agent_log 2)"
	echo "FAIL: node 2 never connected to node 1"
	exit 1
fi
echo "lab: n2 connected to n1 ${CONNECT_S} s after its API came up"

# Peers that share no placement are not probed on their own
# (docs/operations.md): none may run in the 2 s after the hello (the first
# automatic probe used to start after 1 s); then we trigger one.
sleep 2
if [ "$(lab_probe_lines 1 outgoing)" != 0 ] ||
    [ "$(lab_probe_lines 2 outgoing)" != 0 ]; then
	cat "$(lab_agent_log 1)" "$(lab_agent_log 2)"
	fail "the agents probed each other without a placement"
else
	MA1=$(lab_peer 1 "$ID2" | jq '.measured_at')
	MA2=$(lab_peer 2 "$ID1" | jq '.measured_at')
	out0=$(lab_probe_lines 1 outgoing)
	in0=$(lab_probe_lines 2 incoming)
	lab_exec 1 "$EXOGPU" peers --probe --api "$(lab_agent_api 1)"
	if ! lab_wait_probe 1 outgoing $((out0 + 1)) 30 ||
	    ! lab_wait_probe 2 incoming $((in0 + 1)) 30; then
		cat "$(lab_agent_log 1)" "$(lab_agent_log 2)"
		fail "the triggered probe n1 -> n2 never finished"
	fi
	P1=$(lab_peer 1 "$ID2")
	P2=$(lab_peer 2 "$ID1")
	# The figures read below must be the new probe's, not the old ones.
	[ "$(echo "$P1" | jq '.measured_at')" != "$MA1" ] ||
	    fail "n1's measured_at did not change after the probe"
	[ "$(echo "$P2" | jq '.measured_at')" != "$MA2" ] ||
	    fail "n2's measured_at did not change after the probe"
	TX_BPS=$(echo "$P1" | jq '(.bandwidth_bytes_per_s // 0) * 8')
	RX_BPS=$(echo "$P2" | jq '(.bandwidth_bytes_per_s // 0) * 8')
	echo "figures: bandwidth, node 1 egress shaped by tbf to" \
	    "$(lab_calc %.1f "$RATE_KBIT / 1000") Mbit/s"
	echo "  iperf3 TCP n1->n2, receiver goodput  " \
	    "$(lab_calc %.2f "$IPERF_BPS / 1e6") Mbit/s" \
	    "($(lab_calc %.3f "$IPERF_BPS / ($RATE_KBIT * 1000)") of shaped;" \
	    "sender figure $(lab_calc %.2f "$IPERF_TX_BPS / 1e6"))"
	echo "  agent probe n1->n2, n1 outgoing      " \
	    "$(lab_calc %.2f "$TX_BPS / 1e6") Mbit/s" \
	    "($(lab_calc %.3f "$TX_BPS / ($RATE_KBIT * 1000)") of shaped)"
	echo "  agent probe n1->n2, n2 incoming      " \
	    "$(lab_calc %.2f "$RX_BPS / 1e6") Mbit/s" \
	    "($(lab_calc %.3f "$RX_BPS / ($RATE_KBIT * 1000)") of shaped)"
	echo "  ratio agent/iperf3: outgoing" \
	    "$(lab_calc %.3f "$TX_BPS / $IPERF_BPS")," \
	    "incoming $(lab_calc %.3f "$RX_BPS / $IPERF_BPS") (tolerance $LAB_TOL)"
	DR=$(echo "$P1" | jq '.delivery_rate_bytes_per_s // 0')
	echo "  n1 delivery_rate_bytes_per_s (ngtcp2's estimate, not checked)" \
	    "$(lab_calc %.2f "$DR * 8 / 1e6") Mbit/s"
	within "$TX_BPS" "$IPERF_BPS" "$LAB_TOL" ||
	    fail "n1 outgoing probe $TX_BPS bit/s vs iperf3 $IPERF_BPS"
	within "$RX_BPS" "$IPERF_BPS" "$LAB_TOL" ||
	    fail "n2 incoming probe $RX_BPS bit/s vs iperf3 $IPERF_BPS"
fi

# node 2's direct RTT samples so far, probes included: one input to the
# base RTT below (the minimum sees the samples taken with an empty queue).
BASE_A=$(lab_peer 2 "$ID1" | jq '.rtt_s.min // 0')

# --- 2. delay -------------------------------------------------------------
# Fresh agents with tiny probes, unshaped link: the relay path carries
# nothing but handshakes and control messages.
lab_agent_stop 1
lab_agent_stop 2
lab_unshape 1
lab_agent_start 1 m1 7101 --probe-bytes 4096 --probe-interval 0
ID1=$(lab_agent_id 1)
lab_spawn br "$LAB_DIR/relay.log" "$RELAY" -l "$(lab_addr br):9000" \
    -t "$(lab_addr 1):7101" -d "$DELAY_MS"
RELAY_PID=$LAB_LAST_PID
lab_agent_start 2 m2 7102 --probe-bytes 4096 --probe-interval 0 \
    --join "$(lab_addr 1):7101"
lab_agent_start 3 m3 7103 --probe-bytes 4096 --probe-interval 0 \
    --join "$(lab_addr br):9000"
UP3=$(lab_now)
ID2=$(lab_agent_id 2)
ID3=$(lab_agent_id 3)
if ! lab_wait_connected 2 20 "$ID1" >/dev/null; then
	cat "$(lab_agent_log 2)"
	echo "FAIL: node 2 never connected directly to node 1"
	exit 1
fi
if ! RELAY_CONNECT_S=$(lab_wait_connected 3 20 "$ID1" "$UP3"); then
	cat "$(lab_agent_log 1)" "$(lab_agent_log 3)" "$LAB_DIR/relay.log"
	echo "FAIL: node 3 never connected to node 1 through the relay"
	exit 1
fi
# Let a few control messages and the start-up probes add RTT samples.
sleep 2
D2=$(lab_peer 2 "$ID1")
D3=$(lab_peer 3 "$ID1")
D1=$(lab_peer 1 "$ID3")
# Base RTT: the smaller of the two direct links' minima.  A fresh link
# has few samples, and on a busy box one of them can be 1 ms late.
BASE_B=$(echo "$D2" | jq '.rtt_s.min // 0')
BASE=$(awk -v a="$BASE_A" -v b="$BASE_B" \
    'BEGIN { m = a; if (m <= 0 || (b > 0 && b < m)) m = b; print m }')
EXPECT=$(lab_calc %.6f "2 * $DELAY_MS / 1000 + $BASE")
MIN3=$(echo "$D3" | jq '.rtt_s.min // 0')
MIN1=$(echo "$D1" | jq '.rtt_s.min // 0')
lab_stop "$RELAY_PID"
echo "figures: delay, relay adds $DELAY_MS ms each way"
echo "  base RTT (n2 <-> n1 direct, rtt_s.min) " \
    "$(lab_calc %.3f "$BASE * 1000") ms" \
    "(bandwidth-phase link $(lab_calc %.3f "$BASE_A * 1000")," \
    "fresh link $(lab_calc %.3f "$BASE_B * 1000"))"
echo "  expected RTT through the relay         " \
    "$(lab_calc %.3f "$EXPECT * 1000") ms"
SM3=$(echo "$D3" | jq '.rtt_s.smoothed // 0')
LA3=$(echo "$D3" | jq '.rtt_s.latest // 0')
SM1=$(echo "$D1" | jq '.rtt_s.smoothed // 0')
echo "  n3 -> n1 via relay: min $(lab_calc %.3f "$MIN3 * 1000") ms," \
    "smoothed $(lab_calc %.3f "$SM3 * 1000") ms," \
    "latest $(lab_calc %.3f "$LA3 * 1000") ms"
echo "  n1 -> n3 via relay: min $(lab_calc %.3f "$MIN1 * 1000") ms," \
    "smoothed $(lab_calc %.3f "$SM1 * 1000") ms"
echo "  ratio min/expected: n3 $(lab_calc %.3f "$MIN3 / $EXPECT")," \
    "n1 $(lab_calc %.3f "$MIN1 / $EXPECT") (tolerance $LAB_TOL)"
echo "  n3 connected ${RELAY_CONNECT_S} s after its API came up"
echo "  relay: $(grep 'udp_relay exit' "$LAB_DIR/relay.log" |
    sed 's/.*: //')"
within "$MIN3" "$EXPECT" "$LAB_TOL" ||
    fail "n3's rtt_s.min $MIN3 s vs expected $EXPECT s"
within "$MIN1" "$EXPECT" "$LAB_TOL" ||
    fail "n1's rtt_s.min $MIN1 s vs expected $EXPECT s"
within "$BASE" 0.005 1 ||
    fail "direct base RTT $BASE s is not between 0 and 10 ms"

echo "lab: took $(lab_calc %.1f "$(lab_now) - $T0") s"
if [ "$FAILS" -gt 0 ]; then
	echo "itest_lab_link: $FAILS check(s) FAILED"
	exit 1
fi
echo "itest_lab_link: PASS"
exit 0
