#!/bin/sh
# itest_alerts.sh - alerts and the cluster event log (GET /v1/events), end
# to end on loopback.  One agent reads its /proc and /sys from a copy of
# the laptop fixture (--sysfs-root), so the test heats its CPU package
# (the CPU device's sensor) and drains its battery while it runs:
#   95 C  -> one alert_raised, the alert listed as active;
#   82 C  -> between clear (80) and raise (85): still active, nothing new;
#   70 C  -> alert_cleared, nothing active;
#   unplugged at 10 % -> a battery alert, cleared once back on AC.
# (It runs with --no-bench: telemetry is not re-read while a benchmark
# runs.)  Then two more agents join it: a placement made and released
# shows on all three as placement_created and placement_released; killing
# the leader with -9 shows up on the survivors as member_dead and a
# leader_changed to a new leader; stopping one survivor with TERM shows up
# on the last as member_left.  Bad queries get a 400.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
DIR=$(mktemp -d "${TMPDIR:-/tmp}/exogpu-alerts.XXXXXX") || exit 1
PIDS=
cleanup()
{
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }

fail()
{
	echo "FAIL: $*"
	for f in "$DIR"/a*.log; do
		echo "--- $f"
		tail -n 20 "$f"
	done
	exit 1
}
api() { jq -r .api "$DIR/d$1/run.json"; }
pid() { jq -r .pid "$DIR/d$1/run.json"; }
nid() { jq -r .node_id "$DIR/d$1/run.json"; }
# events N [SINCE]: node N's /v1/events after SINCE.
events() { curl -sf "http://$(api "$1")/v1/events?since=${2:-0}&limit=512"; }
# wait_for N FILTER WHAT: until node N's events satisfy the jq filter.
wait_for()
{
	i=0
	until events "$1" | jq -e "$2" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt 150 ] || fail "node $1: no $3 after 15 s: $(events "$1")"
		sleep 0.1
	done
}

SECRET=$("$EXOGPU" secret) || exit 1
start()
{
	# shellcheck disable=SC2086
	"$EXOGPU" -v agent --data-dir "$DIR/d$1" --name "n$1" \
	    --listen 127.0.0.1:0 --http 127.0.0.1:0 --no-mdns \
	    --join-secret "$SECRET" $2 >"$DIR/a$1.log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$DIR/d$1/run.json" ]; do
		i=$((i + 1))
		[ "$i" -lt 200 ] || fail "agent $1 did not start"
		sleep 0.05
	done
}

ROOT=$DIR/root1
cp -r "$SRC/tests/fixtures/sysfs/intel-laptop" "$ROOT" || exit 1
ZONE=$ROOT/sys/class/thermal/thermal_zone1/temp	# x86_pkg_temp
start 1 "--no-bench --sysfs-root $ROOT"
CPU="$(nid 1)/cpu"

# Bad queries: JSON 400s.
for q in "since=x" "since=-1" "limit=0" "limit=513" "limit=1e3" "foo=1"; do
	code=$(curl -s -o "$DIR/body" -w '%{http_code}' \
	    "http://$(api 1)/v1/events?$q")
	[ "$code" = 400 ] && jq -e '.error == "bad_query"' "$DIR/body" \
	    >/dev/null || fail "?$q gave $code: $(cat "$DIR/body")"
done

raised=".events | map(select(.kind == \"alert_raised\" and
    .object == \"$CPU\")) | length"
cleared=".events | map(select(.kind == \"alert_cleared\" and
    .object == \"$CPU\")) | length"
active=".active | map(select(.rule == \"temperature\" and
    .object == \"$CPU\")) | length"

echo 95000 >"$ZONE"
wait_for 1 "($raised) == 1 and ($active) == 1" "temperature alert"
events 1 | jq -e ".active[] | select(.object == \"$CPU\") |
    .value == 95 and .threshold == 85 and .since > 0" >/dev/null ||
    fail "bad active alert: $(events 1)"
echo "95 C: raised: $(events 1 | jq -r ".events[] |
    select(.kind == \"alert_raised\") | .message")"

# Between clear and raise, wobbling across raise: no new event.
for t in 82000 84000 86000 82000; do
	echo "$t" >"$ZONE"
	sleep 1
done
sleep 2.5	# the inventory is re-read every 2 s
events 1 | jq -e "($raised) == 1 and ($cleared) == 0 and ($active) == 1 and
    (.active[] | select(.object == \"$CPU\") | .value == 82)" >/dev/null ||
    fail "82 C changed the alert: $(events 1)"
echo "82..86 C: still one alert, active"

echo 70000 >"$ZONE"
wait_for 1 "($cleared) == 1 and ($active) == 0" "alert_cleared"
events 1 | jq -e "($raised) == 1" >/dev/null || fail "raised twice"
echo "70 C: cleared"

# Unplugged at 10 %: a battery alert; plugged back in, it clears.
PS=$ROOT/sys/class/power_supply
echo 0 >"$PS/AC/online"
echo 10 >"$PS/BAT1/capacity"
echo Discharging >"$PS/BAT1/status"
wait_for 1 ".active | map(select(.rule == \"battery\" and
    .object == \"$(nid 1)\" and .value == 0.1)) | length == 1" "battery alert"
echo 1 >"$PS/AC/online"
wait_for 1 ".active == [] and (.events | map(select(
    .kind == \"alert_cleared\" and .object == \"$(nid 1)\")) | length == 1)" \
    "battery alert_cleared"
echo "unplugged at 10 %: battery alert raised; on AC: cleared"

# Paging: since/limit and next_seq.
last=$(events 1 | jq -r .next_seq)
page=$(curl -sf "http://$(api 1)/v1/events?since=0&limit=1") ||
    fail "paging"
echo "$page" | jq -e ".events | length == 1 and .[0].seq == 1" >/dev/null &&
    echo "$page" | jq -e ".next_seq == 1" >/dev/null ||
    fail "limit=1: $page"
curl -sf "http://$(api 1)/v1/events?since=$last" |
    jq -e ".events == [] and .next_seq == $last" >/dev/null ||
    fail "since=next_seq is not empty"

# A three-node cluster on the same agent.
FIRST=$(jq -r '.quic[0]' "$DIR/d1/run.json")
start 2 "--join $FIRST"
start 3 "--join $FIRST"
i=0
while :; do
	l1=$("$EXOGPU" status --json --api "$(api 1)" | jq -r '.leader // ""')
	l2=$("$EXOGPU" status --json --api "$(api 2)" | jq -r '.leader // ""')
	l3=$("$EXOGPU" status --json --api "$(api 3)" | jq -r '.leader // ""')
	a1=$("$EXOGPU" status --json --api "$(api 1)" | jq -r .members_alive)
	[ -n "$l1" ] && [ "$l1" = "$l2" ] && [ "$l2" = "$l3" ] &&
	    [ "$a1" = 3 ] && break
	i=$((i + 1))
	[ "$i" -lt 200 ] || fail "no agreed leader"
	sleep 0.1
done
LEADER=$l1
for n in 1 2 3; do
	[ "$(nid "$n")" = "$LEADER" ] && L=$n
done
S1=1
[ "$L" = 1 ] && S1=2
S2=$((6 - L - S1))
for n in 1 2 3; do
	wait_for "$n" ".events | map(select(.kind == \"leader_changed\" and
	    .object == \"$LEADER\")) | length >= 1" "leader_changed"
done
for n in 1 2 3; do
	wait_for "$n" ".events | map(select(.kind == \"member_joined\")) |
	    length >= 2" "member_joined"
done
echo "3 nodes: leader n$L recorded by all"

# A placement made and released shows on every node.
i=0
while ! out=$("$EXOGPU" place --model llama-3-8b:q4_0 --json \
    --api "$(api 1)" 2>&1); do
	i=$((i + 1))
	[ "$i" -lt 120 ] || fail "placement never succeeded: $out"
	sleep 0.5
done
PID_=$(echo "$out" | jq -r .id)
for n in 1 2 3; do
	wait_for "$n" ".events | map(select(.kind == \"placement_created\" and
	    .object == \"$PID_\")) | length == 1" "placement_created"
done
"$EXOGPU" place --release "$PID_" --api "$(api 1)" >/dev/null ||
    fail "release failed"
for n in 1 2 3; do
	wait_for "$n" ".events | map(select(.kind == \"placement_released\" and
	    .object == \"$PID_\")) | length == 1" "placement_released"
done
echo "placement $PID_ created and released: recorded by all"

mark=$(events "$S1" | jq -r .next_seq)
kill -9 "$(pid "$L")"
wait_for "$S1" ".events | map(select(.kind == \"member_dead\" and
    .object == \"$LEADER\")) | length == 1" "member_dead"
wait_for "$S1" "[.events[] | select(.seq > $mark and
    .kind == \"leader_changed\" and .object != \"$LEADER\" and
    .object != \"\")] | length >= 1" "new leader"
echo "leader killed (-9): n$S1 recorded member_dead and a new leader:" \
    "$(events "$S1" | jq -r "[.events[] | select(.seq > $mark) |
    .kind] | join(\", \")")"

ID2=$(nid "$S2")	# its run.json goes when it stops
kill -TERM "$(pid "$S2")"
wait_for "$S1" ".events | map(select(.kind == \"member_left\" and
    .object == \"$ID2\")) | length == 1" "member_left"
events "$S1" | jq -e ".events | map(select(.kind == \"member_dead\" and
    .object == \"$ID2\")) | length == 0" >/dev/null ||
    fail "a TERM-stopped node was recorded dead"
echo "n$S2 stopped (TERM): n$S1 recorded member_left"
echo PASS
exit 0
