#!/bin/sh
# run-fastlink.sh - the agents' bandwidth probe on a fast link (10 Gbit/s
# by default) in the namespace lab, as a distribution over fresh pairs.
#
# Usage (as root):  sh tests/lab/run-fastlink.sh BUILD_DIR/exogpu [RUNS]
# Environment: LAB_RATE_KBIT (10000000), LAB_PROBE_BYTES (268435456),
# LAB_MTU (unset: 1500; 9000 for a jumbo-frame LAN), LAB_PIN (1: node 1's
# agent on CPU 0, node 2's on CPU 1, as on two hosts with a core each).
#
# Why it exists: at 10 Gbit/s a probe lasts a fifth of a second and its
# figure depends on how the two agents and the kernel's veth/bridge/tbf
# work share this machine's cores during it, so one probe (what
# itest_lab_link.sh checks at 40 Mbit/s) says little.  This starts RUNS
# (10) fresh agent pairs behind one tbf-shaped link, triggers one probe
# n1 -> n2 on each new connection once both agents have discovered their
# devices (the figure a placement gets first), and
# prints each figure, the median, the ratio to iperf3's TCP goodput over
# the same link (measured once, 3 s) and how many runs were within 10 %.
# It checks nothing: docs/lab.md reports its figures.
EXOGPU=${1:?usage: run-fastlink.sh EXOGPU [RUNS]}
RUNS=${2:-10}
RATE_KBIT=${LAB_RATE_KBIT:-10000000}
PROBE_BYTES=${LAB_PROBE_BYTES:-268435456}
LAB_LIB="$(cd "$(dirname "$0")" && pwd)/lab.sh"
# shellcheck source=tests/lab/lab.sh
. "$LAB_LIB"
if ! why=$(lab_check); then
	echo "run-fastlink: skipped: $why"
	exit 77
fi
if [ "${LAB_PIN:-0}" = 1 ] && [ "$(nproc)" -lt 2 ]; then
	echo "run-fastlink: LAB_PIN=1 needs 2 CPUs"
	exit 77
fi
for t in iperf3 jq; do
	command -v $t >/dev/null 2>&1 || { echo "run-fastlink: no $t"; exit 77; }
done
case $EXOGPU in /*) ;; *) EXOGPU="$(pwd)/$EXOGPU" ;; esac
case $RUNS in ''|*[!0-9]*|0) echo "run-fastlink: RUNS: a count"; exit 2 ;; esac

# LAB_SECRET is read by lab_agent_start.
LAB_SECRET=$("$EXOGPU" secret) || exit 1
lab_init
lab_add_node 1
lab_add_node 2
lab_shape 1 "$RATE_KBIT"

lab_spawn 2 "$LAB_DIR/iperf3-server.log" iperf3 -s -1 -B "$(lab_addr 2)" \
    -p 5201
try=0
while ! lab_exec 1 iperf3 -c "$(lab_addr 2)" -p 5201 -t 3 -J \
    >"$LAB_DIR/iperf3.json" 2>/dev/null ||
    ! jq -e '.end.sum_received.bits_per_second > 0' "$LAB_DIR/iperf3.json" \
    >/dev/null 2>&1; do
	try=$((try + 1))
	[ $try -lt 20 ] || lab_die "iperf3 did not run"
	sleep 0.1
done
IPERF=$(jq '.end.sum_received.bits_per_second' "$LAB_DIR/iperf3.json")
echo "link: tbf $(lab_calc %.2f "$RATE_KBIT / 1e6") Gbit/s, MTU" \
    "${LAB_MTU:-1500}$([ "${LAB_PIN:-0}" = 1 ] && echo ", agents pinned"); iperf3 TCP goodput $(lab_calc %.2f "$IPERF / 1e9")" \
    "Gbit/s; probes of $PROBE_BYTES bytes"

: >"$LAB_DIR/figures"
r=1
while [ $r -le "$RUNS" ]; do
	lab_agent_start 1 "a$r" 7001 --probe-bytes "$PROBE_BYTES" \
	    --probe-interval 0
	lab_agent_start 2 "b$r" 7002 --probe-bytes 4096 --probe-interval 0 \
	    --join "$(lab_addr 1):7001"
	if [ "${LAB_PIN:-0}" = 1 ]; then
		taskset -a -p -c 0 "$(lab_agent_pid 1)" >/dev/null &&
		    taskset -a -p -c 1 "$(lab_agent_pid 2)" >/dev/null ||
		    lab_die "run $r: taskset failed"
	fi
	ID1=$(lab_agent_id 1)
	ID2=$(lab_agent_id 2)
	lab_wait_connected 2 20 "$ID1" >/dev/null ||
	    lab_die "run $r: node 2 never connected"
	# Device discovery runs in a child process about 2 s after start
	# (loading the Vulkan and OpenCL drivers): the probe waits for both
	# nodes' to end, as a placement's would.
	for n in 1 2; do
		i=0
		until grep -q "devices discovered" "$(lab_agent_log $n)"; do
			i=$((i + 1))
			[ $i -lt 300 ] || lab_die "run $r: node $n: no devices"
			sleep 0.1
		done
	done
	out0=$(lab_probe_lines 1 outgoing)
	lab_exec 1 "$EXOGPU" peers --probe --api "$(lab_agent_api 1)" \
	    >/dev/null || lab_die "run $r: exogpu peers --probe"
	lab_wait_probe 1 outgoing $((out0 + 1)) 30 ||
	    lab_die "run $r: the probe never finished"
	bps=$(lab_peer 1 "$ID2" | jq '(.bandwidth_bytes_per_s // 0) * 8')
	pay=$(lab_peer 1 "$ID2" | jq '.udp_payload_bytes // 0')
	echo "run $r: $(lab_calc %.2f "$bps / 1e9") Gbit/s" \
	    "($(lab_calc %.3f "$bps / $IPERF") of iperf3), datagrams $pay bytes"
	echo "$bps" >>"$LAB_DIR/figures"
	lab_agent_stop 1
	lab_agent_stop 2
	r=$((r + 1))
done
sort -g "$LAB_DIR/figures" | awk -v ip="$IPERF" '
	{ v[NR] = $1; if ($1 >= 0.9 * ip) ok++ }
	END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "median %.2f Gbit/s (%.3f of iperf3), min %.2f, " \
		    "max %.2f; within 10 %%: %d of %d\n", m / 1e9, m / ip,
		    v[1] / 1e9, v[NR] / 1e9, ok, NR
	}'
