# lab.sh - a throw-away multi-host lab in network namespaces, sourced by
# tests/integration/itest_lab_link.sh and tests/lab/run-bench.sh (POSIX sh:
# ctest runs the tests with /bin/sh, which is dash on Debian).
#
# Why it is shaped this way: the agents' link figures (RTT, bandwidth) can
# only be checked against ground truth when the link is something we made
# and know.  So every lab is:
#   - one namespace holding a bridge (br0, with 10.77.0.254 for middleboxes
#     such as tests/lab/udp_relay.c),
#   - one namespace per node, joined to the bridge by a veth pair whose node
#     end is eth0 with 10.77.0.N/24 and fd00:77::N/64,
#   - tbf on a node's eth0 to shape its egress rate (netem does not exist on
#     these machines, so delay comes from the userspace relay instead).
# Interfaces are created directly inside the lab's namespaces and the
# addresses exist only there: nothing in the root namespace is touched and
# no packet can leave the lab.  Every namespace name carries the shell's
# pid, so labs run in parallel never meet.  lab_init installs traps that,
# on any exit (success, failure, INT, TERM), stop the processes the lab
# started (by pid) and delete its namespaces and scratch directory.
#
# The sourcing script sets LAB_LIB to this file's path first.
#
# Public functions (prefix lab_):
#   lab_check                 0 if the lab can run here, else prints why
#   lab_init                  bridge namespace, scratch dir ($LAB_DIR), traps
#   lab_add_node N            namespace + veth + addresses for node N (1..200);
#                             with LAB_MTU set, that MTU on both veth ends and
#                             the bridge (9000: a jumbo-frame LAN)
#   lab_ns N | lab_addr N     namespace name / IPv4 address of node N
#                             (N = br for the bridge namespace)
#   lab_exec N CMD...         run CMD inside node N's namespace
#   lab_spawn N LOG CMD...    start CMD in the background there; pid in
#                             $LAB_LAST_PID, stopped on exit
#   lab_stop PID              SIGTERM, then SIGKILL after 5 s
#   lab_shape N RATE_KBIT [LATENCY_MS]   tbf on node N's egress
#   lab_unshape N
#   lab_agent_start N NAME PORT ARGS...  exogpu agent in node N ($EXOGPU)
#   lab_agent_api N | lab_agent_pid N | lab_agent_log N
#   lab_peers N               `exogpu peers --json` of node N's agent
#   lab_wait_connected N TIMEOUT_S [ID [T0]]  wait for a connected peer
#   lab_probe_lines N DIR / lab_wait_probe N DIR COUNT TIMEOUT_S
#                             probes node N's agent logged (see below)
#   lab_calc FORMAT EXPR      arithmetic through awk
#   lab_relay_bin             path of a built udp_relay (builds one if needed)

LAB_ID="xl$$"
LAB_NET4="10.77.0"
LAB_NET6="fd00:77:"
LAB_NODES=""
LAB_PIDS=""
LAB_DIR=""
LAB_LAST_PID=""
LAB_UP=0

lab_log()
{
	printf 'lab: %s\n' "$*" >&2
}

lab_die()
{
	printf 'lab: FATAL: %s\n' "$*" >&2
	exit 1
}

# Prints the reason and returns 1 when the lab cannot run here.
lab_check()
{
	_t="${LAB_ID}chk"

	if [ "$(id -u)" != 0 ]; then
		echo "not root: network namespaces need root"
		return 1
	fi
	for _c in ip tc jq; do
		if ! command -v "$_c" >/dev/null 2>&1; then
			echo "$_c not installed"
			return 1
		fi
	done
	if ! ip netns add "$_t" 2>/dev/null; then
		echo "ip netns add failed (no namespace support?)"
		return 1
	fi
	_ok=0
	if ip -n "$_t" link add v0 type veth peer name v1 2>/dev/null &&
	    ip -n "$_t" link add b0 type bridge 2>/dev/null &&
	    tc -n "$_t" qdisc add dev v0 root tbf rate 10mbit burst 16kb \
	    latency 20ms 2>/dev/null; then
		_ok=1
	fi
	ip netns del "$_t" 2>/dev/null
	if [ "$_ok" != 1 ]; then
		echo "veth, bridge or tc tbf not available"
		return 1
	fi
	return 0
}

lab_ns()
{
	if [ "$1" = br ]; then
		echo "${LAB_ID}br"
	else
		echo "${LAB_ID}n$1"
	fi
}

lab_addr()
{
	if [ "$1" = br ]; then
		echo "$LAB_NET4.254"
	else
		echo "$LAB_NET4.$1"
	fi
}

lab_addr6()
{
	if [ "$1" = br ]; then
		echo "${LAB_NET6}:fe"
	else
		echo "${LAB_NET6}:$1"
	fi
}

lab_exec()
{
	_n=$1
	shift
	ip netns exec "$(lab_ns "$_n")" "$@"
}

lab_spawn()
{
	_n=$1
	_log=$2
	shift 2
	ip netns exec "$(lab_ns "$_n")" "$@" >"$_log" 2>&1 &
	LAB_LAST_PID=$!
	LAB_PIDS="$LAB_PIDS $LAB_LAST_PID"
}

lab_alive()
{
	kill -0 "$1" 2>/dev/null
}

lab_stop()
{
	_p=$1
	lab_alive "$_p" || return 0
	kill -TERM "$_p" 2>/dev/null
	_i=0
	while lab_alive "$_p" && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if lab_alive "$_p"; then
		lab_log "pid $_p ignored SIGTERM for 5 s: SIGKILL"
		kill -KILL "$_p" 2>/dev/null
	fi
	wait "$_p" 2>/dev/null
	# Forget it, so cleanup never signals a pid the system has reused.
	LAB_PIDS=$(echo " $LAB_PIDS " | sed "s/ $_p / /")
	return 0
}

lab_cleanup()
{
	[ "$LAB_UP" = 1 ] || return 0
	LAB_UP=0
	for _p in $LAB_PIDS; do
		lab_alive "$_p" && kill -TERM "$_p" 2>/dev/null
	done
	# lab_stop edits LAB_PIDS: walk a copy (split on purpose).
	# shellcheck disable=SC2086
	set -- $LAB_PIDS
	for _p in "$@"; do
		lab_stop "$_p"
	done
	# Anything still in our namespaces was started by this lab.
	for _ns in $LAB_NODES; do
		for _p in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -KILL "$_p" 2>/dev/null
		done
		ip netns del "$_ns" 2>/dev/null
	done
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ -n "${LAB_KEEP:-}" ]; then
			lab_log "kept $LAB_DIR"
		else
			rm -rf "$LAB_DIR"
		fi
	fi
}

lab_init()
{
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/exogpu-lab.XXXXXX") ||
	    lab_die "mktemp failed"
	LAB_UP=1
	trap lab_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	_br=$(lab_ns br)
	LAB_NODES="$_br"
	ip netns add "$_br" || lab_die "ip netns add $_br"
	ip -n "$_br" link set lo up &&
	    ip -n "$_br" link add br0 type bridge &&
	    ip -n "$_br" link set br0 up &&
	    ip -n "$_br" addr add "$(lab_addr br)/24" dev br0 &&
	    ip -n "$_br" addr add "$(lab_addr6 br)/64" dev br0 nodad ||
	    lab_die "bridge setup failed"
}

lab_add_node()
{
	_n=$1
	_ns=$(lab_ns "$_n")
	_br=$(lab_ns br)
	ip netns add "$_ns" || lab_die "ip netns add $_ns"
	LAB_NODES="$_ns $LAB_NODES"
	ip -n "$_ns" link set lo up &&
	    ip link add eth0 netns "$_ns" type veth peer name "n$_n" \
	    netns "$_br" &&
	    ip -n "$_br" link set "n$_n" master br0 up &&
	    ip -n "$_ns" addr add "$(lab_addr "$_n")/24" dev eth0 &&
	    ip -n "$_ns" addr add "$(lab_addr6 "$_n")/64" dev eth0 nodad &&
	    ip -n "$_ns" link set eth0 up ||
	    lab_die "node $_n setup failed"
	if [ -n "${LAB_MTU:-}" ]; then
		ip -n "$_ns" link set eth0 mtu "$LAB_MTU" &&
		    ip -n "$_br" link set "n$_n" mtu "$LAB_MTU" &&
		    ip -n "$_br" link set br0 mtu "$LAB_MTU" ||
		    lab_die "node $_n: MTU $LAB_MTU refused"
	fi
}

# tbf on node N's egress.  burst: 10 ms of traffic (at least 16 KiB), enough
# for any timer frequency >= 100 Hz and under 1 % of a one-second transfer;
# latency (queue length in time): LATENCY_MS, default 50 ms, so a
# loss-based sender backing off still finds a queue to drain and keeps
# the link busy.
lab_shape()
{
	_n=$1
	_kbit=$2
	_lat=${3:-50}
	_burst=$((_kbit * 1000 / 8 / 100))
	[ "$_burst" -ge 16384 ] || _burst=16384
	tc -n "$(lab_ns "$_n")" qdisc replace dev eth0 root tbf \
	    rate "${_kbit}kbit" burst "$_burst" latency "${_lat}ms" ||
	    lab_die "tc tbf on node $_n failed"
}

lab_unshape()
{
	tc -n "$(lab_ns "$1")" qdisc del dev eth0 root 2>/dev/null
	return 0
}

# --- exogpu agents ------------------------------------------------------

# lab_agent_start N NAME PORT [ARGS...]: one agent in node N listening on
# its address:PORT, API on 127.0.0.1 inside the namespace; waits for
# run.json.  Needs $EXOGPU and $LAB_SECRET.
lab_agent_start()
{
	_n=$1
	_name=$2
	_port=$3
	shift 3
	_dd="$LAB_DIR/agent-$_n-$_name"
	mkdir -p "$_dd" || lab_die "mkdir $_dd"
	# The secret from a 0600 file: argv is public.
	(umask 077 && echo "$LAB_SECRET" >"$_dd.secret") ||
	    lab_die "secret file"
	lab_spawn "$_n" "$_dd.log" "$EXOGPU" -v agent --data-dir "$_dd" \
	    --name "$_name" --listen "$(lab_addr "$_n"):$_port" \
	    --http 127.0.0.1:0 --no-mdns --no-bench \
	    --join-secret-file "$_dd.secret" "$@"
	eval "LAB_AGENT_PID_$_n=$LAB_LAST_PID"
	eval "LAB_AGENT_DIR_$_n=\$_dd"
	_i=0
	while [ ! -s "$_dd/run.json" ]; do
		if ! lab_alive "$LAB_LAST_PID"; then
			cat "$_dd.log" >&2
			lab_die "agent $_name in node $_n exited"
		fi
		[ $_i -lt 200 ] || lab_die "agent $_name: no run.json in 10 s"
		sleep 0.05
		_i=$((_i + 1))
	done
	_api=$(jq -r .api "$_dd/run.json") || lab_die "bad run.json"
	eval "LAB_AGENT_API_$_n=\$_api"
}

lab_agent_api()
{
	eval "echo \"\$LAB_AGENT_API_$1\""
}

lab_agent_pid()
{
	eval "echo \"\$LAB_AGENT_PID_$1\""
}

lab_agent_log()
{
	eval "echo \"\$LAB_AGENT_DIR_$1.log\""
}

lab_agent_id()
{
	eval "jq -r .node_id \"\$LAB_AGENT_DIR_$1/run.json\""
}

lab_agent_stop()
{
	lab_stop "$(lab_agent_pid "$1")"
}

lab_peers()
{
	lab_exec "$1" "$EXOGPU" peers --json --api "$(lab_agent_api "$1")"
}

# lab_peer N ID: that peer's JSON object in node N's list ("null" if none).
lab_peer()
{
	lab_peers "$1" | jq -c --arg id "$2" \
	    '[.[] | select(.node_id == $id)][0]'
}

# Waits until node N lists peer ID (any peer if ID is empty) as connected;
# prints the seconds it took since T0 (lab_now; default: now, so a caller
# timing a connection passes the time it started the agent); returns 1 on
# timeout.  Resolution: one `exogpu peers` call, ~10-20 ms.
lab_wait_connected()
{
	_n=$1
	_limit=$2
	_id=${3:-}
	_t0=${4:-$(lab_now)}
	while :; do
		if lab_peers "$_n" 2>/dev/null | jq -e --arg id "$_id" \
		    'any(.[]; .connected and ($id == "" or .node_id == $id))' \
		    >/dev/null 2>&1; then
			echo "$(lab_now) $_t0" | awk '{ printf "%.3f\n", $1 - $2 }'
			return 0
		fi
		if [ "$(echo "$(lab_now) $_t0 $_limit" |
		    awk '{ print ($1 - $2 > $3) }')" = 1 ]; then
			return 1
		fi
		sleep 0.05
	done
}

# lab_probe_lines N DIR: how many "DIR probe" lines (DIR = outgoing or
# incoming) node N's agent has logged.  The API's bandwidth figure is the
# latest probe in EITHER direction and does not say which; the agent's
# info log (-v) does, so tests count these lines to know what they read.
lab_probe_lines()
{
	grep -c "$2 probe" "$(lab_agent_log "$1")" 2>/dev/null
}

# lab_wait_probe N DIR COUNT TIMEOUT_S: until node N logged COUNT of them.
lab_wait_probe()
{
	_w=0
	while [ "$(lab_probe_lines "$1" "$2")" -lt "$3" ]; do
		[ $_w -lt $(($4 * 20)) ] || return 1
		sleep 0.05
		_w=$((_w + 1))
	done
	return 0
}

# lab_calc FORMAT EXPR: awk arithmetic, printf-formatted.
lab_calc()
{
	awk "BEGIN { printf \"$1\\n\", $2 }"
}

# Seconds since the epoch with nanoseconds (GNU date).
lab_now()
{
	date +%s.%N
}

# Path of a udp_relay binary: $LAB_RELAY if set, the one CMake built next
# to the exogpu binary, or one compiled now into $LAB_DIR.
lab_relay_bin()
{
	if [ -n "${LAB_RELAY:-}" ] && [ -x "$LAB_RELAY" ]; then
		echo "$LAB_RELAY"
		return 0
	fi
	# build/exogpu -> build/tests/exogpu_udp_relay
	_b="$(dirname "$EXOGPU")/tests/exogpu_udp_relay"
	if [ -x "$_b" ]; then
		echo "$_b"
		return 0
	fi
	_src="$(dirname "$LAB_LIB")/udp_relay.c"
	${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -o "$LAB_DIR/udp_relay" \
	    "$_src" >&2 || return 1
	echo "$LAB_DIR/udp_relay"
}
