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
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq curl
setup alerts

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

fixture_root 1
ROOT=$DIR/root1
ZONE=$ROOT/sys/class/thermal/thermal_zone1/temp	# x86_pkg_temp
start 1 --no-bench --sysfs-root "$ROOT"
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
# The inventory is re-read every 2 s: wait for the last reading to land.
wait_for 1 "[.active[] | select(.object == \"$CPU\") | .value] == [82]" \
    "the 82 C reading"
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
# (Only the battery rule's: a quorum alert on the same node id may have
# come and gone while the first agent was alone.)
wait_for 1 ".active == [] and (.events | map(select(
    .kind == \"alert_cleared\" and .object == \"$(nid 1)\" and
    (.message | startswith(\"battery\")))) | length == 1)" \
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
FIRST=$(quic 1)
start 2 --join "$FIRST"
start 3 --join "$FIRST"
wait_leader "1 2 3" 200 3
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
retry_place 120 --model llama-3-8b:q4_0 --json --api "$(api 1)" ||
    fail "placement never succeeded: $out"
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
