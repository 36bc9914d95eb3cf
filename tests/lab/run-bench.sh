#!/bin/sh
# run-bench.sh - link-measurement benchmark in the namespace lab: what the
# exogpu agents report against ground truth we set ourselves.
#
# Usage (as root):  sh tests/lab/run-bench.sh BUILD_DIR/exogpu [--quick]
#
# Why it exists: itest_lab_link.sh checks one point (40 Mbit/s, 25 ms) for
# pass/fail; this prints the same measurements over a few points as a
# table, to see how the figures scale (the project's C benches cannot
# build network namespaces, so this one is a script).  Rows:
#   bandwidth  tbf shapes node 1's egress to RATE; iperf3 (TCP, 3 s) and
#              the agents' first automatic probe n1 -> n2 (sized for ~3 s)
#              as fractions of RATE; "out" is node 1's sender-side
#              figure, "in" node 2's receiver-side one (same transfer).
#   connect    seconds from a joining agent's API being up to its peer
#              list showing the peer connected (QUIC + TLS handshake +
#              hello; polled, ~20 ms resolution).
#   rtt        node 3 joins node 1 through tests/lab/udp_relay.c adding
#              DELAY ms each way; rtt_s.min / smoothed against
#              2 x DELAY + the direct base RTT (the smallest rtt_s.min
#              seen on any direct n1-n2 link in this run).
# --quick: one rate (40 Mbit/s) and delays 0 and 25 ms.
EXOGPU=${1:?usage: run-bench.sh EXOGPU [--quick]}
QUICK=${2:-}
LAB_LIB="$(cd "$(dirname "$0")" && pwd)/lab.sh"
# shellcheck source=tests/lab/lab.sh
. "$LAB_LIB"
if ! why=$(lab_check); then
	echo "run-bench: skipped: $why"
	exit 77
fi
command -v iperf3 >/dev/null 2>&1 || { echo "run-bench: no iperf3"; exit 77; }
case $EXOGPU in /*) ;; *) EXOGPU="$(pwd)/$EXOGPU" ;; esac

if [ "$QUICK" = --quick ]; then
	RATES="40000"
	DELAYS="0 25"
else
	RATES="10000 40000 100000"
	DELAYS="0 10 25"
fi

# LAB_SECRET is read by lab_agent_start.
LAB_SECRET=$("$EXOGPU" secret) || exit 1
lab_init
RELAY=$(lab_relay_bin) || exit 1
lab_add_node 1
lab_add_node 2
lab_add_node 3
PORT=7000

echo "bench lab_link: exogpu agents vs ground truth (tbf rate, relay delay)"
printf '%-10s %10s %10s %10s %10s %10s %12s\n' bandwidth "rate Mb/s" \
    iperf3 "agent out" "agent in" agent/iperf "connect s"
for rate in $RATES; do
	lab_shape 1 "$rate"
	lab_spawn 2 "$LAB_DIR/iperf3-s.log" iperf3 -s -1 -B "$(lab_addr 2)" \
	    -p 5201
	# Retry until the server listens (iperf3 -J may exit 0 on refusal).
	try=0
	while ! lab_exec 1 iperf3 -c "$(lab_addr 2)" -p 5201 -t 3 -J \
	    >"$LAB_DIR/iperf3.json" 2>"$LAB_DIR/iperf3.err" ||
	    ! jq -e '.end.sum_received.bits_per_second > 0' \
	    "$LAB_DIR/iperf3.json" >/dev/null 2>&1; do
		try=$((try + 1))
		[ $try -lt 20 ] || { echo "iperf3 failed"; exit 1; }
		sleep 0.1
	done
	ib=$(jq '.end.sum_received.bits_per_second' "$LAB_DIR/iperf3.json")
	# ~3 s at the shaped rate.
	pb=$((rate * 1000 * 3 / 8))
	PORT=$((PORT + 10))
	lab_agent_start 1 "r$rate-a" "$PORT" --probe-bytes "$pb" \
	    --probe-interval 0
	lab_agent_start 2 "r$rate-b" $((PORT + 1)) --probe-bytes 4096 \
	    --probe-interval 0 --join "$(lab_addr 1):$PORT"
	up=$(lab_now)
	id1=$(lab_agent_id 1)
	id2=$(lab_agent_id 2)
	cs=$(lab_wait_connected 2 20 "$id1" "$up") || cs=timeout
	if lab_wait_probe 1 outgoing 1 30 && lab_wait_probe 2 incoming 1 30
	then
		ob=$(lab_peer 1 "$id2" | jq '(.bandwidth_bytes_per_s // 0) * 8')
		inb=$(lab_peer 2 "$id1" | jq '(.bandwidth_bytes_per_s // 0) * 8')
	else
		ob=0
		inb=0
	fi
	# Direct-link RTT minimum, for the base RTT of the rtt rows.
	b=$(lab_peer 2 "$id1" | jq '.rtt_s.min // 0')
	base=$(awk -v a="${base:-0}" -v b="$b" \
	    'BEGIN { m = a; if (m <= 0 || (b > 0 && b < m)) m = b; print m }')
	printf '%-10s %10.1f %10.3f %10.3f %10.3f %10.3f %12s\n' bandwidth \
	    "$(lab_calc %.1f "$rate / 1000")" \
	    "$(lab_calc %.4f "$ib / ($rate * 1000)")" \
	    "$(lab_calc %.4f "$ob / ($rate * 1000)")" \
	    "$(lab_calc %.4f "$inb / ($rate * 1000)")" \
	    "$(lab_calc %.4f "$ob / $ib")" "$cs"
	lab_agent_stop 1
	lab_agent_stop 2
done
lab_unshape 1
echo "(iperf3, agent: fraction of the shaped rate; agent out = n1's" \
    "sender-side probe figure, in = n2's receiver-side one)"

# RTT through the relay.
PORT=$((PORT + 100))
lab_agent_start 1 rtt-a "$PORT" --probe-bytes 4096 --probe-interval 0
id1=$(lab_agent_id 1)
lab_agent_start 2 rtt-b $((PORT + 1)) --probe-bytes 4096 --probe-interval 0 \
    --join "$(lab_addr 1):$PORT"
lab_wait_connected 2 20 "$id1" >/dev/null || { echo "no direct link"; exit 1; }
sleep 1
b=$(lab_peer 2 "$id1" | jq '.rtt_s.min // 0')
base=$(awk -v a="${base:-0}" -v b="$b" \
    'BEGIN { m = a; if (m <= 0 || (b > 0 && b < m)) m = b; print m }')
printf '\n%-10s %10s %10s %10s %10s %10s %12s\n' rtt "delay ms" \
    "expect ms" "min ms" "smooth ms" min/expect "connect s"
printf '%-10s %10s %10s %10.3f %10s %10s %12s\n' direct - - \
    "$(lab_calc %.3f "$base * 1000")" - - -
n=0
for d in $DELAYS; do
	n=$((n + 1))
	lab_spawn br "$LAB_DIR/relay-$d.log" "$RELAY" \
	    -l "$(lab_addr br):$((9000 + n))" -t "$(lab_addr 1):$PORT" -d "$d"
	rp=$LAB_LAST_PID
	lab_agent_start 3 "rtt-c$d" $((PORT + 1 + n)) --probe-bytes 4096 \
	    --probe-interval 0 --join "$(lab_addr br):$((9000 + n))"
	up=$(lab_now)
	cs=$(lab_wait_connected 3 20 "$id1" "$up") || cs=timeout
	sleep 2
	p=$(lab_peer 3 "$id1")
	mn=$(echo "$p" | jq '.rtt_s.min // 0')
	sm=$(echo "$p" | jq '.rtt_s.smoothed // 0')
	ex=$(lab_calc %.6f "2 * $d / 1000 + $base")
	# With no delay the ratio compares two sub-millisecond figures: the
	# row shows the relay's own cost instead.
	ratio=-
	[ "$d" = 0 ] || ratio=$(lab_calc %.3f "$mn / $ex")
	printf '%-10s %10s %10.3f %10.3f %10.3f %10s %12s\n' rtt "$d" \
	    "$(lab_calc %.3f "$ex * 1000")" "$(lab_calc %.3f "$mn * 1000")" \
	    "$(lab_calc %.3f "$sm * 1000")" "$ratio" "$cs"
	lab_agent_stop 3
	lab_stop "$rp"
	grep 'udp_relay exit' "$LAB_DIR/relay-$d.log" |
	    sed -e 's/.*late_avg_us=/  relay lateness: avg us /' \
	    -e 's/ late_max_us=/, max us /'
done
echo "(expect = 2 x delay + direct base RTT; connect = API up to connected)"
exit 0
