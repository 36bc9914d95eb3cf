#!/bin/sh
# run.sh - the Jepsen-style test of the cluster: real agents in the
# namespace lab, a nemesis, concurrent clients, a recorded history and a
# checker over it (docs/testing.md, "The Jepsen test").
#
#	run.sh EXOGPU SRC
#	    JEPSEN_SECONDS=60 NEMESIS_SEED=N JEPSEN_CLIENTS=3 JEPSEN_OUT=DIR
#	    JEPSEN_FAULTS="kill pause partition isolate bridge"
#
# Five `exogpu agent`s, each in its own network namespace on one lab
# bridge (tests/discovery/mdns_lab.sh; no mDNS: every agent --joins the
# others), each with a copy of the intel-laptop sysfs fixture as its
# hardware (one CPU device, measured once before the run so the agents
# need no benchmark).  While the run lasts:
#   - JEPSEN_CLIENTS shell clients loop over random nodes: place a random
#     catalog model, release an id they know, list.  Each call is two
#     lines of their history file (invoke, then ok / fail / info: info
#     when the outcome is unknown - a timeout, 503 outcome_unknown);
#   - a poller per node samples /v1/status every JEPSEN_POLL s (0.1);
#   - the nemesis, on a schedule drawn from NEMESIS_SEED, cycles through
#     kill -9 of a node or of the leader (restarted from its data dir),
#     SIGSTOP of a node or the leader for 2-3 s (longer than the election
#     timeout), a majority/minority partition, the leader isolated (both
#     by moving bridge ports to a second bridge), and a "bridge" partition
#     where one node sees both sides and the sides do not see each other
#     (htb + u32 filters on the nodes' links dropping frames by MAC into
#     a zero-length pfifo: iproute2 alone, this kernel lacks netem and tc
#     actions).  Everything is healed between faults.
# Then: heal, resume and restart everyone, wait for one leader, a final
# list on every node (recorded, marked final: each must have applied
# every acknowledged index); kill -9 of EVERY agent, restart all, the
# same again - every acknowledged, unreleased placement must be back.
# tests/jepsen/jepsen_check (built at <build>/tests/jepsen_check, or
# $JEPSEN_CHECK) checks the history; the history, nemesis log and agent
# logs are saved in JEPSEN_OUT (default <build>/artifacts/jepsen).
# POSIX sh (dash).  Root only: exit 77 (skip) otherwise.  Exit 1 on an
# anomaly or when the cluster never recovers.
# Word lists ($N, $MODELS, pools) are split on purpose throughout.
# shellcheck disable=SC2086
set -u
EXOGPU=$1
SRC=$2
BUILD=$(dirname "$EXOGPU")
CHECK=${JEPSEN_CHECK:-$BUILD/tests/jepsen_check}
DURATION=${JEPSEN_SECONDS:-60}
SEED=${NEMESIS_SEED:-$(date +%s)}
NCLIENTS=${JEPSEN_CLIENTS:-3}
POLL=${JEPSEN_POLL:-0.1}
OUT=${JEPSEN_OUT:-${EXOGPU_ARTIFACTS:-$BUILD/artifacts}/jepsen}
MODELS=${JEPSEN_MODELS:-"llama-3-8b:q4_0 mistral-7b:q4_0 llama-3-8b:q8_0
    mistral-7b:q8_0 llama-3-8b:fp16"}
RESERVE=${JEPSEN_RESERVE:-0.10}	# the agents' default --memory-reserve
FAULTS=${JEPSEN_FAULTS:-"kill pause partition isolate bridge"}
N="1 2 3 4 5"
QUIC_PORT=47470
API_PORT=47471

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root: network namespaces need root"
for c in ip tc curl jq nsenter; do
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] ||
	    skip "$c not installed"
done
[ -x "$CHECK" ] || skip "no checker at $CHECK (build the jepsen_check target)"
case $DURATION in ''|*[!0-9]*) echo "JEPSEN_SECONDS: not a number"; exit 2;;
esac
case $SEED in ''|*[!0-9]*|?????????????????*)
	echo "NEMESIS_SEED: not a number under 10^16"; exit 2;; esac
for _f in $FAULTS; do
	case $_f in kill|pause|partition|isolate|bridge) ;;
	*) echo "JEPSEN_FAULTS: $_f is not kill, pause, partition, isolate" \
	    "or bridge"; exit 2;; esac
done
[ -n "$FAULTS" ] || { echo "JEPSEN_FAULTS: empty"; exit 2; }
if ! ip netns add "jepchk$$" 2>/dev/null; then
	skip "ip netns add failed (no namespace support?)"
fi
ip netns del "jepchk$$"

# shellcheck source=../discovery/mdns_lab.sh
. "$SRC/tests/discovery/mdns_lab.sh"
mlab_init
DIR=$MLAB_DIR
BR="${MLAB_ID}br"
HIST=$DIR/hist
mkdir -p "$HIST" || exit 1
: >"$DIR/nemesis.log"

now() { date +%s.%N; }
# elapsed T0: seconds since T0, two decimals
elapsed() { awk "BEGIN { printf \"%.2f\", $(now) - $1 }"; }
log() { echo "[$(elapsed "$T_START")] $*"; }
netns() { echo "/run/netns/$(mlab_ns "$1")"; }

# ---- seeded random numbers (the nemesis schedule; client op mixes) ------
# RNG_<name> is one LCG state (below 2^31, so the product fits in the
# shell's 64-bit arithmetic); rnd NAME N sets R to 0..N-1.
rnd()
{
	eval "_s=\$RNG_$1"
	_s=$(( ((_s % 2147483648) * 1103515245 + 12345) % 2147483648 ))
	eval "RNG_$1=$_s"
	R=$(( (_s / 65536) % $2 ))
}
# pick NAME WORDS...: R set to one of WORDS
pick()
{
	_pn=$1
	shift
	R=
	[ $# -gt 0 ] || return 1
	rnd "$_pn" $#
	shift "$R"
	R=$1
}

# ---- one HTTP call into node N's namespace ------------------------------
# call N METHOD PATH [BODY] [TIMEOUT]: sets CODE (000 if none), EC
# (curl's exit status) and BODY (one line, "" if none or partial).
call()
{
	_r=$(nsenter --net="$(netns "$1")" curl -s -m "${5:-5}" -X "$2" \
	    -H 'Content-Type: application/json' ${4:+--data "$4"} \
	    -w ' %{http_code} %{exitcode}' "http://127.0.0.1:$API_PORT$3" \
	    2>/dev/null | tr -d '\n\r')
	EC=${_r##* }
	_r=${_r% *}
	CODE=${_r##* }
	BODY=${_r% *}
	case $EC in ''|*[!0-9]*) EC=99;; esac
	case $CODE in ''|*[!0-9]*) CODE=000;; esac
	# A complete answer that is a JSON object or array, or nothing.
	[ "$EC" = 0 ] && [ "$CODE" != 000 ] || BODY=
	case $BODY in '{'*'}'|'['*']') ;; *) BODY=;; esac
}
val() { [ -n "$BODY" ] && echo "$BODY" || echo null; }

# ---- the lab -------------------------------------------------------------
for n in $N; do
	mlab_add_node "$n"
	cp -r "$SRC/tests/fixtures/sysfs/intel-laptop" "$DIR/root$n" || exit 1
	mkdir -m 700 "$DIR/data$n" || exit 1
	eval "MAC_$n=$(ip -n "$(mlab_ns "$n")" -j link show eth0 |
	    jq -r '.[0].address')"
done
ip -n "$BR" link add br1 type bridge mcast_snooping 0 &&
    ip -n "$BR" link set br1 up || { echo "FAIL: second bridge"; exit 1; }
# The bridge partition's drop class on every node's link: unclassified
# frames go out htb's direct queue untouched, those a filter sends to
# 1:2 meet a pfifo of length 0.
BRIDGE_OK=1
for n in $N; do
	_ns=$(mlab_ns "$n")
	tc -n "$_ns" qdisc add dev eth0 root handle 1: htb 2>/dev/null &&
	    tc -n "$_ns" class add dev eth0 parent 1: classid 1:2 htb \
	    rate 1mbit 2>/dev/null &&
	    tc -n "$_ns" qdisc add dev eth0 parent 1:2 handle 2: pfifo \
	    limit 0 2>/dev/null || BRIDGE_OK=0
done
[ "$BRIDGE_OK" = 1 ] ||
    echo "note: tc htb/pfifo unavailable: no bridge partitions in this run"

# Devices measured once; every node gets the figures in its registry.
"$EXOGPU" -q devices --bench --data-dir "$DIR/bench" \
    --sysfs-root "$DIR/root1" >/dev/null 2>&1 ||
    { echo "FAIL: exogpu devices --bench"; exit 1; }
for n in $N; do
	cp "$DIR/bench/devices.json" "$DIR/data$n/" || exit 1
done

SECRET=$("$EXOGPU" secret) || exit 1
EXTRA=
"$EXOGPU" agent --help 2>&1 | grep -q -- --bootstrap-expect &&
    EXTRA="--bootstrap-expect 5"
start_agent()
{
	_joins=
	for _m in $N; do
		[ "$_m" = "$1" ] || _joins="$_joins --join $MLAB_NET4.$_m:$QUIC_PORT"
	done
	rm -f "$DIR/data$1/run.json"
	echo "=== start $(now)" >>"$DIR/agent$1.log"
	# shellcheck disable=SC2086
	EXOGPU_JOIN_SECRET=$SECRET ip netns exec "$(mlab_ns "$1")" \
	    "$EXOGPU" -v agent --data-dir "$DIR/data$1" --name "node$1" \
	    --http "127.0.0.1:$API_PORT" --probe-interval 0 --probe-bytes 65536 \
	    --no-bench --no-mdns --sysfs-root "$DIR/root$1" $_joins $EXTRA \
	    ${JEPSEN_AGENT_FLAGS:-} >>"$DIR/agent$1.log" 2>&1 &
	eval "PID_$1=$!"
	MLAB_PIDS="$MLAB_PIDS $!"
}
pid_of() { eval "echo \$PID_$1"; }
alive() { kill -0 "$(pid_of "$1")" 2>/dev/null; }

CLIENT_PIDS=
POLLER_PIDS=
jep_cleanup()
{
	touch "$DIR/stop.clients" "$DIR/stop.pollers" 2>/dev/null
	for _p in $CLIENT_PIDS $POLLER_PIDS; do
		kill "$_p" 2>/dev/null
	done
	for _n in $N; do
		kill -CONT "$(pid_of "$_n")" 2>/dev/null
	done
	mlab_cleanup
}
trap jep_cleanup EXIT

fail()
{
	echo "FAIL: $*"
	for _n in $N; do
		echo "--- node $_n: $(tail -n 8 "$DIR/agent$_n.log")"
	done
	save
	exit 1
}

# save: the run's files into $OUT, replacing only what an earlier run
# left there (OUT may be any directory).
save()
{
	mkdir -p "$OUT" 2>/dev/null &&
	    rm -rf "$OUT/hist" "$OUT/nemesis.log" "$OUT/caps.json" \
	    "$OUT"/agent[1-5].log &&
	    cp -r "$HIST" "$DIR/nemesis.log" "$DIR"/agent*.log "$OUT/" \
	    2>/dev/null
	cp "$DIR/caps.json" "$OUT/" 2>/dev/null
	echo "history, nemesis log and agent logs: $OUT"
}

# ---- cluster views -------------------------------------------------------
# statuses: "N node_id role leader quorum" for every node that answers.
statuses()
{
	for _n in $N; do
		call "$_n" GET /v1/status "" 1
		[ -n "$BODY" ] || continue
		echo "$_n $(echo "$BODY" | jq -r '[.node_id, (.role // "-"),
		    (.leader // "-"), (.quorum // false)] | join(" ")')"
	done
}
# leader: the node number of the leader most nodes name ("" if none).
leader()
{
	_v=$(statuses)
	_id=$(echo "$_v" | awk '$4 != "-" && $5 == "true" { print $4 }' |
	    sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
	[ -n "$_id" ] && echo "$_v" | awk -v id="$_id" '$2 == id { print $1 }'
}
# agreed NODES...: every node names the same leader with quorum.
agreed()
{
	_v=$(statuses)
	for _n in "$@"; do
		echo "$_v" | awk -v n="$_n" '$1 == n && $4 != "-" &&
		    $5 == "true" { ok = 1 } END { exit !ok }' || return 1
	done
	[ "$(echo "$_v" | awk '$4 != "-" { print $4 }' | sort -u |
	    wc -l)" = 1 ]
}
# wait_for SECONDS WHAT CMD...
wait_for()
{
	_t0=$(now)
	_limit=$1
	_what=$2
	shift 2
	while ! "$@"; do
		[ "$(awk "BEGIN { print ($(now) - $_t0 > $_limit) }")" = 0 ] ||
		    fail "$_what (waited $_limit s)"
		sleep 0.2
	done
}

# ---- clients ---------------------------------------------------------------
# hline FILE T PROC TYPE F NODE HTTP VALUE [EXTRA]: one history line
# (HTTP "" or 000: no answer, left out)
hline()
{
	[ "$7" != 000 ] || set -- "$1" "$2" "$3" "$4" "$5" "$6" "" "$8" "${9:-}"
	printf '{"t":%s,"proc":"%s","type":"%s","f":"%s","node":%s%s,"value":%s%s}\n' \
	    "$2" "$3" "$4" "$5" "$6" "${7:+,\"http\":$7}" "$8" "${9:-}" >>"$1"
}
# outcome KIND: ok/fail/info from CODE, EC and BODY (docs/cluster.md)
outcome()
{
	case $CODE in
	200|201)	T=ok; return ;;
	000)	[ "$EC" = 7 ] && T=fail || T=info; return ;;	# 7: refused
	esac
	[ "$1" = list ] && { T=fail; return; }	# a read changes nothing
	case $CODE in
	400|404|409|422|507)	T=fail ;;
	503)	case $BODY in
		*'"not_leader"'*|*'"no_leader"'*)	T=fail ;;
		*)	T=info ;;
		esac ;;
	*)	T=info ;;
	esac
}

client()
{
	_c=c$1
	_h=$HIST/$_c.jsonl
	eval "RNG_$_c=$(( (SEED + $1 * 7919) % 2147483648 ))"
	_pool=
	_full=0
	while [ ! -e "$DIR/stop.clients" ]; do
		pick "$_c" $N
		_n=$R
		rnd "$_c" 100
		_op=$R
		# After "full" (409, 507) release; with nothing anyone was
		# ever given, place.
		[ "$_full" = 0 ] || [ "$_op" -ge 40 ] || _op=50
		[ -s "$DIR/ids" ] || [ "$_op" -lt 40 ] || [ "$_op" -ge 75 ] ||
		    _op=0
		if [ "$_op" -lt 40 ]; then
			pick "$_c" $MODELS
			_m=$R
			pick "$_c" 512 2048 4096
			_v="{\"model\":\"$_m\",\"context\":$R}"
			hline "$_h" "$(now)" "$_c" invoke place "$_n" "" "$_v"
			call "$_n" POST /v1/placements "$_v" 8
			outcome place
			hline "$_h" "$(now)" "$_c" "$T" place "$_n" "$CODE" "$(val)"
			case $CODE in 409|507) _full=1;; *) _full=0;; esac
			if [ "$T" = ok ]; then
				_id=$(echo "$BODY" | jq -r '.id // empty')
				_pool="$_pool $_id"
				echo "$_id" >>"$DIR/ids"
			fi
		elif [ "$_op" -lt 75 ]; then
			# Its own ids; one time in five (or when it has none)
			# anyone's, maybe released already.
			_full=0
			rnd "$_c" 5
			if [ "$R" = 0 ] || ! pick "$_c" $_pool; then
				# shellcheck disable=SC2046
				pick "$_c" $(tail -n 20 "$DIR/ids")
			fi
			_id=$R
			hline "$_h" "$(now)" "$_c" invoke release "$_n" "" \
			    "{\"id\":$_id}"
			call "$_n" DELETE "/v1/placements?id=$_id" "" 8
			outcome release
			hline "$_h" "$(now)" "$_c" "$T" release "$_n" "$CODE" \
			    "$(val)"
			if [ "$T" = ok ] || [ "$CODE" = 404 ]; then
				_pool=$(echo "$_pool" | tr ' ' '\n' |
				    grep -vx "$_id" | tr '\n' ' ')
			fi
		else
			hline "$_h" "$(now)" "$_c" invoke list "$_n" "" null
			call "$_n" GET /v1/placements "" 4
			outcome list
			hline "$_h" "$(now)" "$_c" "$T" list "$_n" "$CODE" "$(val)"
		fi
		sleep "${JEPSEN_THINK:-0.05}"
	done
}

poller()
{
	_h=$HIST/s$1.jsonl
	while [ ! -e "$DIR/stop.pollers" ]; do
		_t=$(now)
		call "$1" GET /v1/status "" 1
		if [ -n "$BODY" ]; then
			hline "$_h" "$_t" "s$1" ok status "$1" "$CODE" "$BODY"
		else
			hline "$_h" "$_t" "s$1" fail status "$1" "$CODE" null
		fi
		sleep "$POLL"
	done
}

# ---- the nemesis -----------------------------------------------------------
# shellcheck disable=SC2034	# read through eval in rnd
RNG_nem=$((SEED % 2147483648))
NEM_KILL=0
NEM_PAUSE=0
NEM_PART=0
NEM_ISOLATE=0
NEM_BRIDGE=0
nlog() { echo "$(now) $*" >>"$DIR/nemesis.log"; log "nemesis: $*"; }
# a random node, or the leader half the time (when there is one)
victim()
{
	rnd nem 2
	_l=
	[ "$R" = 0 ] && _l=$(leader)
	if [ -n "$_l" ]; then
		R=$_l
		VWHO="leader $_l"
	else
		pick nem $N
		VWHO="node $R"
	fi
}
hold() { rnd nem "$(( $2 - $1 + 1 ))"; sleep "$(( $1 + R ))"; }
# shuffle WORDS...: SHUF is WORDS in a seeded random order
shuffle()
{
	_left=$*
	SHUF=
	while [ -n "$_left" ]; do
		# shellcheck disable=SC2086
		pick nem $_left
		SHUF="$SHUF $R"
		_left=$(echo "$_left" | tr ' ' '\n' | grep -vx "$R" |
		    tr '\n' ' ')
		[ -n "${_left%% }" ] || _left=
	done
}
port_to() { ip -n "$BR" link set "p$1" master "$2"; }
heal()
{
	for _n in $N; do
		port_to "$_n" br0
		tc -n "$(mlab_ns "$_n")" filter del dev eth0 parent 1: prio 1 \
		    2>/dev/null
		ip -n "$(mlab_ns "$_n")" neigh flush dev eth0 2>/dev/null
	done
}
# drop A B: node A's frames to node B go to the zero-length queue
drop()
{
	_mac=
	eval "_mac=\$MAC_$2"
	tc -n "$(mlab_ns "$1")" filter add dev eth0 parent 1: protocol all \
	    prio 1 u32 match ether dst "$_mac" classid 1:2
}

# One fault, healed.  Faults come in rounds: every kind once per round,
# in a seeded order, so even a short run sees each of them.
ROUND=
fault()
{
	if [ -z "$ROUND" ]; then
		_kinds=
		for _f in $FAULTS; do
			[ "$_f" != bridge ] || [ "$BRIDGE_OK" = 1 ] &&
			    _kinds="$_kinds $_f"
		done
		[ -n "$_kinds" ] || _kinds="partition"
		shuffle $_kinds
		ROUND=$SHUF
	fi
	set -- $ROUND
	_kind=$1
	shift
	ROUND=$*
	case $_kind in
	kill)
		victim
		_v=$R
		nlog "kill -9 $VWHO"
		kill -9 "$(pid_of "$_v")" 2>/dev/null
		wait "$(pid_of "$_v")" 2>/dev/null
		NEM_KILL=$((NEM_KILL + 1))
		hold 1 3
		start_agent "$_v"
		nlog "restarted node $_v"
		;;
	pause)
		victim
		_v=$R
		rnd nem 1000
		nlog "SIGSTOP $VWHO for 2.$R s"
		kill -STOP "$(pid_of "$_v")"
		sleep "2.$(printf %03d "$R")"
		kill -CONT "$(pid_of "$_v")"
		NEM_PAUSE=$((NEM_PAUSE + 1))
		nlog "SIGCONT node $_v"
		;;
	partition)
		shuffle $N
		set -- $SHUF
		nlog "partition: $1 $2 | $3 $4 $5"
		port_to "$1" br1
		port_to "$2" br1
		NEM_PART=$((NEM_PART + 1))
		hold 3 8
		heal
		nlog "healed"
		;;
	isolate)
		_l=$(leader)
		[ -n "$_l" ] || { pick nem $N; _l=$R; }
		nlog "isolate leader $_l"
		port_to "$_l" br1
		NEM_ISOLATE=$((NEM_ISOLATE + 1))
		hold 3 8
		heal
		nlog "healed"
		;;
	bridge)
		shuffle $N
		set -- $SHUF
		nlog "bridge: $1 $2 | $3 | $4 $5 (node $3 sees both sides)"
		for _a in $1 $2; do
			for _b in $4 $5; do
				drop "$_a" "$_b" && drop "$_b" "$_a" ||
				    nlog "tc filter failed ($_a, $_b)"
			done
		done
		NEM_BRIDGE=$((NEM_BRIDGE + 1))
		hold 3 8
		heal
		nlog "healed"
		;;
	esac
}

# ---- final phases ------------------------------------------------------------
max_index()
{
	cat "$HIST"/c*.jsonl | jq -s '[.[] | select(.type == "ok" and
	    (.f == "place" or .f == "release")) | .value.index // 0] |
	    max // 0'
}
# final_lists ROUND: a list on every node once it applied the target
# index (or after 30 s: the checker reports the lag), marked final.
final_lists()
{
	_target=$(max_index)
	for _n in $N; do
		_t0=$(now)
		while :; do
			_ti=$(now)
			call "$_n" GET /v1/placements "" 4
			_b=${BODY:-null}
			_ap=$(echo "$_b" | jq -r '.applied_index? // -1')
			[ "$_ap" -lt "$_target" ] 2>/dev/null || break
			[ "$(awk "BEGIN { print ($(now) - $_t0 > 30) }")" = 0 ] ||
			    break
			sleep 0.2
		done
		outcome list
		hline "$HIST/final.jsonl" "$_ti" "final$1" invoke list "$_n" "" \
		    null
		hline "$HIST/final.jsonl" "$(now)" "final$1" "$T" list "$_n" \
		    "$CODE" "$(val)" ',"final":true'
		log "final list $1 on node $_n: $T, applied index $_ap" \
		    "(target $_target), $(echo "$_b" |
		    jq '.placements? // [] | length') placement(s)"
	done
}

restart_everyone()
{
	for _n in $N; do
		kill -CONT "$(pid_of "$_n")" 2>/dev/null
		alive "$_n" || start_agent "$_n"
	done
}

# ---- the run -------------------------------------------------------------------
T_START=$(now)
[ -z "${JEPSEN_TRACE:-}" ] || set -x
echo "jepsen: 5 nodes, $NCLIENTS clients, $DURATION s, NEMESIS_SEED=$SEED"
for n in $N; do
	start_agent "$n"
done
wait_for 60 "no leader agreed by all 5 nodes" agreed $N
log "cluster up: leader node $(leader)"
# Capacities: every device of every member, its total memory less the
# reserve (docs/cluster.md; the checker prints the peak booked share).
# /v1/members is an array of members (or an object with .members).
MEMBERS='def members: if type == "array" then . else .members end;'
members_ready()
{
	call 1 GET /v1/members "" 2
	[ -n "$BODY" ] && echo "$BODY" | jq -e "$MEMBERS"'[members[] |
	    select((.devices // []) | length > 0)] | length == 5' >/dev/null
}
wait_for 30 "members without devices" members_ready
echo "$BODY" | jq --argjson r "$RESERVE" "$MEMBERS"'[members[] | .node_id as $n |
    (.devices // [])[] | {key: "\($n)/\(.id)",
    value: ((.memory_total_bytes // 0) * (1 - $r) | floor)}] |
    from_entries' >"$DIR/caps.json" || fail "no capacities"
log "capacities: $(jq -c 'to_entries | map(.value) | add' \
    "$DIR/caps.json") bytes on $(jq length "$DIR/caps.json") device(s)"

for n in $N; do
	poller "$n" &
	POLLER_PIDS="$POLLER_PIDS $!"
done
i=1
while [ "$i" -le "$NCLIENTS" ]; do
	client "$i" &
	CLIENT_PIDS="$CLIENT_PIDS $!"
	i=$((i + 1))
done

T_END=$(awk "BEGIN { printf \"%.3f\", $(now) + $DURATION }")
while [ "$(awk "BEGIN { print ($(now) < $T_END) }")" = 1 ]; do
	hold 1 3
	fault
done
T_FAULTS_END=$(now)
touch "$DIR/stop.clients"
for p in $CLIENT_PIDS; do
	wait "$p"
done
CLIENT_PIDS=
log "nemesis done: $NEM_KILL kill, $NEM_PAUSE pause, $NEM_PART partition," \
    "$NEM_ISOLATE isolate, $NEM_BRIDGE bridge"

heal
restart_everyone
t0=$(now)
wait_for 60 "no leader after healing" agreed $N
log "healed and resumed: leader node $(leader) after $(elapsed "$t0") s"
final_lists 1

for n in $N; do
	kill -9 "$(pid_of "$n")" 2>/dev/null
	wait "$(pid_of "$n")" 2>/dev/null
done
log "kill -9 of every agent"
restart_everyone
t0=$(now)
wait_for 60 "no leader after restarting everyone" agreed $N
log "all restarted: leader node $(leader) after $(elapsed "$t0") s"
final_lists 2
touch "$DIR/stop.pollers"
for p in $POLLER_PIDS; do
	wait "$p"
done
POLLER_PIDS=

echo "--- checker: $(cat "$HIST"/*.jsonl | wc -l) history lines"
"$CHECK" --caps "$DIR/caps.json" --until "$T_FAULTS_END" "$HIST"/*.jsonl
rc=$?
save

# The checker must be able to fail on this very history: plant a second
# leader in a term it saw, and drop an acknowledged, never released
# placement from the final lists; each must be found.
plant_leader()
{
	cat "$HIST"/s*.jsonl | jq -c 'select(.type == "ok" and
	    .value.role == "leader") | .proc = "s9" | .node = 9 |
	    .value.node_id = "planted"' | tail -n 1 >"$1/s9.jsonl"
	[ -s "$1/s9.jsonl" ]
}
plant_lost()
{
	_x=$(cat "$HIST"/c*.jsonl | jq -s '([.[] | select(.f == "place" and
	    .type == "ok") | .value.id] - [.[] | select(.f == "release" and
	    .type == "invoke") | .value.id]) | first // empty')
	[ -n "$_x" ] && jq -c --argjson x "$_x" 'if .f == "list" and
	    .type == "ok" then .value.placements |= map(select(.id != $x))
	    else . end' "$HIST/final.jsonl" >"$1/final.jsonl"
}
# plant KIND FUNCTION: 0 found, 1 missed, 2 nothing to plant
plant()
{
	_m=$DIR/mutant.$1
	mkdir -p "$_m" && cp "$HIST"/*.jsonl "$_m/" || return 1
	"$2" "$_m" || return 2
	"$CHECK" --caps "$DIR/caps.json" -q "$_m"/*.jsonl >"$_m.out" 2>&1
	[ $? = 1 ] && grep -q "ANOMALY $1:" "$_m.out"
}
selfok=1
for k in two-leaders:plant_leader lost:plant_lost; do
	plant "${k%%:*}" "${k#*:}"
	case $? in
	0)	echo "self-check: the checker finds a planted ${k%%:*} anomaly" ;;
	1)	echo "self-check: the checker MISSED a planted ${k%%:*} anomaly"
		selfok=0 ;;
	*)	echo "self-check: nothing to plant a ${k%%:*} anomaly in" ;;
	esac
done
case $rc in
0)	if [ "$selfok" = 1 ]; then
		echo "PASS (NEMESIS_SEED=$SEED)"
	else
		echo "FAIL: the checker cannot fail (NEMESIS_SEED=$SEED)"
		rc=1
	fi ;;
1)	echo "FAIL: the checker found anomalies (NEMESIS_SEED=$SEED)" ;;
*)	echo "FAIL: the checker could not read the history (NEMESIS_SEED=$SEED)"
	rc=1 ;;
esac
exit "$rc"
