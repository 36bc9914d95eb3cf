#!/bin/bash
#
# etcd_failover.sh - the reference figure for exogpu's leader failover:
# kill -9 of an etcd leader -> one new leader on every surviving member,
# measured the way tests/bench/bench_cluster.c measures the agents.
#
# Three etcd members (Debian's etcd-server) on 127.0.0.1 only, with
# etcd's default timers (heartbeat 100 ms, election timeout 1000 ms),
# each with its own data dir under a temp dir.  Every run: wait until all
# three name one leader, kill -9 it, then poll each survivor's
# /v3/maintenance/status every 20 ms (a survivor already seen naming a
# new leader is not asked again until a final round of everyone confirms
# they agree) and take the time the last survivor was first seen naming
# the new leader; then start the killed member again from its data dir.
# Polling is curl, one process per request, so a round costs more than
# bench_cluster's in-process HTTP; the mean round time is printed.
#
# Not part of ctest (it needs etcd, which the project does not use); run
#     tests/bench/etcd_failover.sh [RUNS]      (default 5)
# Exit 77 when etcd or curl is missing, 1 when the cluster does not form
# or recover within 30 s.
set -u

runs=${1:-5}
case $runs in
''|*[!0-9]*) echo "usage: etcd_failover.sh [RUNS]" >&2; exit 2 ;;
esac
for t in etcd curl; do
	command -v $t >/dev/null 2>&1 || {
		echo "etcd_failover: $t not found (apt-get install etcd-server" \
		    "curl)" >&2
		exit 77
	}
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/etcd-failover.XXXXXX") || exit 1
base=$((20000 + RANDOM % 20000))
pids=(0 0 0 0)
cleanup() {
	local i
	for i in 1 2 3; do
		[ "${pids[$i]}" -gt 0 ] && kill -9 "${pids[$i]}" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

cport() { echo $((base + 2 * $1)); }
pport() { echo $((base + 2 * $1 + 1)); }
initial="m1=http://127.0.0.1:$(pport 1),m2=http://127.0.0.1:$(pport 2)"
initial="$initial,m3=http://127.0.0.1:$(pport 3)"

start() {
	etcd --name "m$1" --data-dir "$dir/m$1" \
	    --listen-client-urls "http://127.0.0.1:$(cport "$1")" \
	    --advertise-client-urls "http://127.0.0.1:$(cport "$1")" \
	    --listen-peer-urls "http://127.0.0.1:$(pport "$1")" \
	    --initial-advertise-peer-urls "http://127.0.0.1:$(pport "$1")" \
	    --initial-cluster "$initial" --initial-cluster-state new \
	    --initial-cluster-token "etcd-failover-$$" \
	    >>"$dir/m$1.log" 2>&1 &
	pids[$1]=$!
}

# Sets st[i] to "MEMBER_ID LEADER_ID" for each member i given, "" for
# one that does not answer: one curl for them all, and variables rather
# than output, so a poll round costs one process.
re='"member_id":"([0-9]+)".*"leader":"([0-9]+)"'
statuses() {
	local -a urls=() lines=()
	local i k=0
	for i in "$@"; do
		urls+=("http://127.0.0.1:$(cport "$i")/v3/maintenance/status")
	done
	mapfile -t lines < <(curl -s --max-time 1 -X POST -d '{}' \
	    -w '\n' "${urls[@]}")
	for i in "$@"; do
		st[i]=""
		[[ ${lines[$k]:-} =~ $re ]] &&
		    st[i]="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
		k=$((k + 1))
	done
}
st=("" "" "" "")

# Microseconds (bash's clock, EPOCHREALTIME, has six decimals).
now() { now=${EPOCHREALTIME//[.,]/}; }

# Polls the running members until all name one leader other than $1 (""
# for any); prints "LEADER_ID LEADER_MEMBER FIRST_S ALL_S ROUND_MS",
# times relative to $2 (microseconds), ROUND_MS the mean poll round.
agree() {
	local not=$1 t0=$2 dl i lead want m r0 conf first all
	local rounds=0 round_us=0
	local -a ask
	local -a seen=(0 0 0 0) when=(0 0 0 0)
	now
	dl=$((now + 30000000))
	while now && [ "$now" -lt "$dl" ]; do
		r0=$now
		want=0 conf=0 ask=()
		for i in 1 2 3; do
			[ "${pids[$i]}" -gt 0 ] || continue
			want=$((want + 1))
			[ "${seen[$i]}" = 0 ] && ask+=("$i")
		done
		[ ${#ask[@]} -gt 0 ] && statuses "${ask[@]}"
		now
		for i in "${ask[@]}"; do
			lead=${st[$i]#* }
			if [ -n "${st[$i]}" ] && [ "$lead" != 0 ] &&
			    [ "$lead" != "$not" ]; then
				seen[i]=1
				when[i]=$now
			fi
		done
		for i in 1 2 3; do
			[ "${pids[$i]}" -gt 0 ] && conf=$((conf + seen[i]))
		done
		round_us=$((round_us + now - r0))
		rounds=$((rounds + 1))
		if [ "$conf" = "$want" ]; then
			# Confirm: everyone still names one and the same.
			conf=1 lead="" m=0 first=0 all=0 ask=()
			for i in 1 2 3; do
				[ "${pids[$i]}" -gt 0 ] && ask+=("$i")
			done
			statuses "${ask[@]}"
			for i in "${ask[@]}"; do
				[ -z "$lead" ] && lead=${st[$i]#* }
				[ -n "${st[$i]}" ] && [ "${st[$i]#* }" = "$lead" ] &&
				    [ "$lead" != 0 ] && [ "$lead" != "$not" ] ||
				    conf=0
				[ "${st[$i]% *}" = "$lead" ] && m=$i
				[ "$first" = 0 ] || [ "${when[$i]}" -lt "$first" ] &&
				    first=${when[$i]}
				[ "${when[$i]}" -gt "$all" ] && all=${when[$i]}
			done
			if [ "$conf" = 1 ]; then
				awk -v l="$lead" -v m="$m" -v f=$((first - t0)) \
				    -v a=$((all - t0)) -v r=$((round_us / rounds)) \
				    'BEGIN { printf "%s %s %.3f %.3f %.1f\n", l, m,
				    f / 1e6, a / 1e6, r / 1e3 }'
				return 0
			fi
			seen=(0 0 0 0)
		fi
		sleep 0.02
	done
	echo "etcd_failover: no agreed leader within 30 s; log tails:" >&2
	for i in 1 2 3; do
		echo "--- m$i" >&2
		tail -5 "$dir/m$i.log" >&2
	done
	return 1
}

stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "median %.3f s (min %.3f, max %.3f, %d runs)\n",
		    m, v[1], v[NR], NR }'
}

echo "etcd_failover: $(etcd --version | head -1), 3 members on" \
    "127.0.0.1, default timers, $(nproc) CPU(s)," \
    "load average $(cut -d' ' -f1 /proc/loadavg)"
for i in 1 2 3; do
	start "$i"
done
firsts="" alls=""
for r in $(seq 1 "$runs"); do
	now
	out=$(agree "" "$now") || exit 1
	read -r -a f <<<"$out"
	set -- "${f[@]}"
	old=$1 m=$2
	[ "$m" -gt 0 ] || { echo "etcd_failover: leader $old not ours" >&2;
	    exit 1; }
	now
	t0=$now
	kill -9 "${pids[$m]}"
	wait "${pids[$m]}" 2>/dev/null
	pids[m]=0
	out=$(agree "$old" "$t0") || exit 1
	read -r -a f <<<"$out"
	set -- "${f[@]}"
	echo "  run $r: kill -9 of m$m -> new leader on a survivor" \
	    "$3 s, on both $4 s (poll round $5 ms)"
	firsts="$firsts$3
"
	alls="$alls$4
"
	start "$m"
done
echo "kill -9 of the leader -> new leader, first survivor:" \
    "$(printf '%s' "$firsts" | stats)"
echo "kill -9 of the leader -> same new leader on both survivors:" \
    "$(printf '%s' "$alls" | stats)"
