#!/bin/bash
# bench_idle.sh - idle cost of membership, exogpu against HashiCorp Serf,
# side by side on loopback (issue 15).
#
# Usage: bench_idle.sh [--quick] [--n "16 32"] [--t SECONDS] [--runs R]
#                      [--settle SECONDS] [--agent-args "ARGS"]
#                      [--no-serf] EXOGPU
#
# For every N (and every run) it starts N `exogpu agent`s, then N
# `serf agent`s (alternating, so both see the same machine), each cluster
# in its own network namespace so that the namespace's loopback counters
# are the cluster's traffic and nothing else.  Per cluster it measures:
#
#   alive   seconds from the launch of the last agent until every agent
#           reports all N members alive (read from the agents' own logs,
#           which are time-stamped on arrival, so polling costs nothing);
#   bytes   IP bytes per second on lo over T idle seconds, after a settle
#           period (at least --settle s, then until lo carries under
#           2 MB/s for 2 s - agents before 2026-12-06 probed every pair's
#           bandwidth at start; lo counts a 14-byte pseudo-Ethernet header
#           per packet, taken off), and packets/s; for exogpu also each
#           protocol's messages/s and payload B/s over the same window
#           (the agents' /metrics, read just outside it);
#   cpu     CPU per agent over the same T s, % of one core (/proc/PID/stat);
#   rss     resident memory per agent at the end (VmRSS);
#   dead    seconds from `kill -9` of the last member until every survivor
#           has logged it dead (exogpu "member ID: ... -> dead", Serf
#           "EventMemberFailed"); the log lines are time-stamped by a perl
#           filter as they arrive.
#
# exogpu agents: join secret, --no-mdns, --no-bench, QUIC on 127.0.0.1:7101..
# and HTTP on 127.0.0.1:8101.., all joining agent 1, plus --agent-args
# (e.g. "--membership transport"; probe is the default).  Serf agents: LAN
# profile, encryption on (-encrypt with a fresh key), bind 127.0.0.1:7946..,
# RPC 127.0.0.1:7373.., -join the first.  Serf is skipped with a message
# when it is not installed (Debian: apt-get install serf).
#
# --quick: N=5, T=10 s (ctest: bench.bench_idle).  Default: N=16 and 32,
# T=60 s.  Needs root (ip netns); exits 77 (skip) without it.  Prints a table
# with the ratio exogpu/serf per figure.
set -u

QUICK=0
SETTLE=
NS_LIST="16 32"
T=60
RUNS=1
SERF=1
AGENT_ARGS=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; NS_LIST=5; T=10 ;;
	--n) NS_LIST=$2; shift ;;
	--t) T=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--no-serf) SERF=0 ;;
	--settle) SETTLE=$2; shift ;;
	--agent-args) AGENT_ARGS=$2; shift ;;
	-*) echo "usage: $0 [--quick] [--n \"N...\"] [--t S] [--runs R] [--settle S]" \
	    "[--agent-args \"ARGS\"] [--no-serf] EXOGPU" >&2; exit 2 ;;
	*) EXOGPU=$1 ;;
	esac
	shift
done
: "${EXOGPU:?usage: $0 [--quick] ... EXOGPU}"
if [ -z "${SETTLE:-}" ]; then
	if [ "$QUICK" = 1 ]; then SETTLE=10; else SETTLE=20; fi
fi
WAIT_ALIVE=90		# seconds a cluster may take to converge
SETTLE_MAX=600		# seconds the start-up probes may take
QUIET_BPS=2000000	# lo bytes/s under which a cluster has settled
WAIT_DEAD=40		# seconds a kill may take to be noticed everywhere

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
for c in ip perl jq awk; do
	command -v "$c" >/dev/null || skip "$c not installed"
done
[ -x "$EXOGPU" ] || { echo "no exogpu binary at $EXOGPU" >&2; exit 2; }
if [ "$SERF" = 1 ] && ! command -v serf >/dev/null; then
	echo "NOTE: serf not installed (Debian: apt-get install serf);" \
	    "measuring exogpu alone"
	SERF=0
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/exogpu-bench-idle.XXXXXX") || exit 1
NS=
PIDS=
TCK=$(getconf CLK_TCK)

stop_cluster()
{
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	{ wait; } 2>/dev/null
	PIDS=
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null
	NS=
}
cleanup()
{
	stop_cluster
	if [ -n "${KEEP:-}" ]; then echo "kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
# Time-stamps every line of stdin (seconds, ms), into file $1.
stamp() { perl -MTime::HiRes=time -ne '$|=1; printf "%.3f %s", time, $_' >"$1"; }
nsx() { ip netns exec "$NS" "$@"; }
lo_stat() { nsx cat "/sys/class/net/lo/statistics/$1"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# Cluster messages and their bytes by protocol, summed over n agents'
# /metrics: "membership MSGS BYTES" lines for membership, gossip, raft.
proto_sums()
{
	for i in $(seq 1 "$1"); do
		nsx curl -s -m 2 "http://127.0.0.1:$((8100 + i))/metrics"
	done | awk '
	/^exogpu_cluster_messages_sent_total\{/ { split($1, a, "\""); m[a[2]] += $2 }
	/^exogpu_cluster_message_bytes_sent_total\{/ { split($1, a, "\""); b[a[2]] += $2 }
	END { for (p in m) print p, m[p], b[p] + 0 }' | sort
}

new_ns()
{
	NS=exobench$$.$1
	ip netns add "$NS" || { echo "cannot create a network namespace" >&2; exit 1; }
	nsx ip link set lo up || exit 1
}

# The time at which every log in "$@" has seen all n-1 others alive
# (exogpu: the state named last for each member; serf: join/fail events).
alive_time()
{
	_n=$1; _kind=$2; shift 2
	for f in "$@"; do
		awk -v n="$_n" -v kind="$_kind" '
		kind == "exogpu" && / member [^ ]+: [a-z]+ -> [a-z]+ / {
			for (i = 1; i <= NF; i++) if ($i == "member") break
			id = $(i + 1); to = $(i + 4)
			st[id] = to
		}
		kind == "serf" && /EventMember(Join|Failed|Leave):/ {
			for (i = 1; i <= NF; i++) if ($i ~ /^EventMember/) break
			st[$(i + 1)] = ($i == "EventMemberJoin:") ? "alive" : "gone"
		}
		{
			c = 0
			for (k in st) if (st[k] == "alive") c++
			# serf lists itself, exogpu does not
			if (c >= (kind == "serf" ? n : n - 1)) { print $1; exit }
		}' "$f"
	done | sort -n | awk -v n="$#" '{ t = $1; c++ } END { if (c == n) print t; else print "" }'
}

# The time at which every log in "$@" has seen PATTERN after T0.
seen_time()
{
	_pat=$1; _t0=$2; shift 2
	for f in "$@"; do
		awk -v t0="$_t0" -v pat="$_pat" '$1 >= t0 && index($0, pat) { print $1; exit }' "$f"
	done | sort -n | awk -v n="$#" '{ t = $1; c++ } END { if (c == n) print t; else print "" }'
}

start_exogpu()
{
	_i=$1
	_d=$DIR/x$_i
	if [ "$_i" = 1 ]; then _join=; else _join="--join 127.0.0.1:7101"; fi
	# shellcheck disable=SC2086
	EXOGPU_JOIN_SECRET=$SECRET ip netns exec "$NS" "$EXOGPU" -v agent \
	    --data-dir "$_d" --name "b$_i" --listen "127.0.0.1:$((7100 + _i))" \
	    --http "127.0.0.1:$((8100 + _i))" --no-mdns --no-bench $_join \
	    $AGENT_ARGS 2> >(stamp "$DIR/x$_i.log") >/dev/null &
	PIDS="$PIDS $!"
	eval "PID_$_i=$!"
}

start_serf()
{
	_i=$1
	if [ "$_i" = 1 ]; then _join=; else _join="-join=127.0.0.1:7947"; fi
	# shellcheck disable=SC2086
	ip netns exec "$NS" serf agent -node "s$_i" -profile=lan \
	    -encrypt="$SERFKEY" -bind "127.0.0.1:$((7946 + _i))" \
	    -rpc-addr "127.0.0.1:$((7373 + _i))" $_join \
	    > >(stamp "$DIR/s$_i.log") 2>&1 &
	PIDS="$PIDS $!"
	eval "PID_$_i=$!"
}

# run KIND N: one cluster; appends "kind n alive kBps pps cpu rss dead" to
# $DIR/results.
run()
{
	kind=$1; n=$2
	new_ns "$kind$n"
	logs=
	if [ "$kind" = exogpu ]; then
		SECRET=$("$EXOGPU" secret) || exit 1
		pfx=x
	else
		SERFKEY=$(serf keygen) || exit 1
		pfx=s
	fi
	for i in $(seq 1 "$n"); do
		"start_$kind" "$i"
		logs="$logs $DIR/$pfx$i.log"
		if [ "$i" = 1 ]; then
			# the others join the first: let it listen
			if [ "$kind" = exogpu ]; then
				k=0
				until [ -s "$DIR/x1/run.json" ] || [ $k -ge 200 ]; do
					sleep 0.05; k=$((k + 1)); done
			else
				sleep 0.3
			fi
		fi
	done
	last=$(now)
	# shellcheck disable=SC2086
	k=0
	while :; do
		# shellcheck disable=SC2086
		at=$(alive_time "$n" "$kind" $logs)
		[ -z "$at" ] || break
		k=$((k + 1))
		if [ $k -ge $((WAIT_ALIVE * 2)) ]; then
			echo "$kind N=$n: not all alive after ${WAIT_ALIVE}s" >&2
			echo "$kind $n - - - - - -" >>"$DIR/results"
			stop_cluster
			return
		fi
		sleep 0.5
	done
	alive=$(awk "BEGIN { printf \"%.2f\", $at - $last }")
	# Settle: SETTLE s, then until lo carries under QUIET_BPS for 2 s
	# (exogpu measures every pair's bandwidth with a 4 MiB probe after
	# connecting; at N=32 that is 4 GB and takes minutes on a small box;
	# the idle figure is what comes after, until the next round of probes
	# probe-interval, 300 s, later).
	sleep "$SETTLE"
	k=0
	while [ $k -lt "$SETTLE_MAX" ]; do
		s0=$(lo_stat tx_bytes); sleep 2; s1=$(lo_stat tx_bytes)
		[ $(((s1 - s0) / 2)) -ge "$QUIET_BPS" ] || break
		k=$((k + 2))
	done
	[ $k -lt "$SETTLE_MAX" ] || echo "$kind N=$n: still busy after settling" >&2
	# /metrics is read outside the byte window (its HTTP is on lo too)
	[ "$kind" != exogpu ] || proto_sums "$n" >"$DIR/proto0"
	b0=$(lo_stat tx_bytes); p0=$(lo_stat tx_packets)
	c0=0; for i in $(seq 1 "$n"); do eval "p=\$PID_$i"; c0=$((c0 + $(cpu_ticks "$p"))); done
	t0=$(now)
	sleep "$T"
	b1=$(lo_stat tx_bytes); p1=$(lo_stat tx_packets)
	t1=$(now)
	c1=0; rss=0
	for i in $(seq 1 "$n"); do
		eval "p=\$PID_$i"
		c1=$((c1 + $(cpu_ticks "$p")))
		rss=$((rss + $(rss_kib "$p")))
	done
	[ "$kind" != exogpu ] || proto_sums "$n" >"$DIR/proto1"
	if [ "$kind" = exogpu ]; then
		# where the bytes go: messages/s and payload B/s by protocol
		join "$DIR/proto0" "$DIR/proto1" | awk -v t="$(awk "BEGIN { print $t1 - $t0 }")" -v n="$n" '
		    { printf "  exogpu N=%d %-10s %8.1f msg/s %9.0f B/s (payload, whole cluster)\n",
		      n, $1, ($4 - $2) / t, ($5 - $3) / t }'
	fi
	# the victim: the last member (never the join target)
	eval "victim=\$PID_$n"
	if [ "$kind" = exogpu ]; then
		vid=$(jq -r .node_id "$DIR/x$n/run.json")
		pat="member $vid: "
	else
		pat="EventMemberFailed: s$n "
	fi
	tk=$(now)
	kill -9 "$victim"
	{ wait "$victim"; } 2>/dev/null
	survivors=
	for i in $(seq 1 $((n - 1))); do survivors="$survivors $DIR/$pfx$i.log"; done
	k=0
	while :; do
		if [ "$kind" = exogpu ]; then
			# shellcheck disable=SC2086
			td=$(for f in $survivors; do
				awk -v t0="$tk" -v pat="$pat" '$1 >= t0 &&
				    index($0, pat) && / -> dead / { print $1; exit }' "$f"
			done | sort -n | awk -v c="$((n - 1))" '{ t = $1; k++ }
			    END { if (k == c) print t }')
		else
			# shellcheck disable=SC2086
			td=$(seen_time "$pat" "$tk" $survivors)
		fi
		[ -z "$td" ] || break
		k=$((k + 1))
		[ $k -lt $((WAIT_DEAD * 5)) ] || break
		sleep 0.2
	done
	if [ -n "$td" ]; then
		dead=$(awk "BEGIN { printf \"%.2f\", $td - $tk }")
	else
		dead=">$WAIT_DEAD"
	fi
	awk -v kind="$kind" -v n="$n" -v alive="$alive" -v db="$((b1 - b0))" \
	    -v dp="$((p1 - p0))" -v dc="$((c1 - c0))" -v rss="$rss" \
	    -v t="$(awk "BEGIN { print $t1 - $t0 }")" -v tck="$TCK" \
	    -v dead="$dead" 'BEGIN {
		printf "%s %d %s %.1f %.0f %.2f %.1f %s\n", kind, n, alive,
		    (db - 14 * dp) / t / 1000, dp / t,
		    100 * dc / tck / t / n, rss / n / 1024, dead
	}' >>"$DIR/results"
	stop_cluster
}

echo "bench_idle: T=${T}s idle after ${SETTLE}s settle; N in: $NS_LIST; runs: $RUNS"
[ -z "$AGENT_ARGS" ] || echo "exogpu agents with: $AGENT_ARGS"
[ "$SERF" = 0 ] || echo "serf: $(serf version | head -1)"
for n in $NS_LIST; do
	for r in $(seq 1 "$RUNS"); do
		run exogpu "$n"
		tail -n 1 "$DIR/results"
		if [ "$SERF" = 1 ]; then
			run serf "$n"
			tail -n 1 "$DIR/results"
		fi
		: "$r"
	done
done

echo
awk -v serf="$SERF" -v list="$NS_LIST" '
{ k = $1 "," $2; cnt[k]++
  for (i = 3; i <= 8; i++) v[k, i] = $i }	# last run of each kind wins
END {
	split("alive kBps pps cpu rss dead", nm, " ")
	lab[3] = "all report N alive after the last start (s)"
	lab[4] = "idle traffic, whole cluster (kB/s, IP bytes)"
	lab[5] = "packets/s, whole cluster"
	lab[6] = "idle CPU per agent (% of a core)"
	lab[7] = "RSS per agent (MiB)"
	lab[8] = "killed member dead on all survivors (s)"
	nn = split(list, ns, " ")
	printf "%-46s", ""
	for (x = 1; x <= nn; x++) {
		n = ns[x]
		printf " %10s", "N=" n " exogpu"
		if (serf) printf " %8s %7s", "serf", "ratio"
	}
	printf "\n"
	for (i = 4; i <= 8; i++) order[i - 3] = i
	order[6] = 3
	for (j = 1; j <= 6; j++) {
		i = order[j]
		printf "%-46s", lab[i]
		for (x = 1; x <= nn; x++) {
			n = ns[x]
			a = v["exogpu," n, i]; b = v["serf," n, i]
			printf " %10s", a
			if (serf) {
				r = "-"
				if (b + 0 > 0 && a ~ /^[0-9.]+$/) r = sprintf("%.1fx", a / b)
				printf " %8s %7s", b, r
			}
		}
		printf "\n"
	}
}' "$DIR/results"
if grep -q ' - - ' "$DIR/results" || grep -q '>' "$DIR/results"; then
	echo "FAIL: a cluster did not converge or did not notice the kill"
	exit 1
fi
exit 0
