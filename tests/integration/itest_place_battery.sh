#!/bin/sh
# itest_place_battery.sh - a placement follows the power state: two agents
# on loopback read their /proc and /sys from copies of the laptop fixture
# (--sysfs-root), so the test controls their batteries.  A model is placed;
# then the hosting laptop is unplugged and its battery drops to 5 %: its
# devices become ineligible and the leader re-plans the placement onto the
# other laptop (new epoch).  $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
DIR=$(mktemp -d "${TMPDIR:-/tmp}/exogpu-battery.XXXXXX") || exit 1
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
fail()
{
	echo "FAIL: $*"
	tail -n 20 "$DIR"/a*.log
	exit 1
}
api() { jq -r .api "$DIR/d$1/run.json"; }
nid() { jq -r .node_id "$DIR/d$1/run.json"; }

SECRET=$("$EXOGPU" secret) || exit 1
for n in 1 2; do
	cp -r "$SRC/tests/fixtures/sysfs/intel-laptop" "$DIR/root$n" || exit 1
	join=
	[ "$n" = 2 ] && join="--join $(jq -r '.quic[0]' "$DIR/d1/run.json")"
	# shellcheck disable=SC2086
	"$EXOGPU" -v agent --data-dir "$DIR/d$n" --name "laptop$n" \
	    --listen 127.0.0.1:0 --http 127.0.0.1:0 --no-mdns \
	    --join-secret "$SECRET" --sysfs-root "$DIR/root$n" $join \
	    >"$DIR/a$n.log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$DIR/d$n/run.json" ]; do
		i=$((i + 1))
		[ "$i" -lt 200 ] || fail "agent $n did not start"
		sleep 0.05
	done
done

i=0
while ! out=$("$EXOGPU" place --model llama-3-8b:q4_0 --json \
    --api "$(api 1)" 2>&1); do
	i=$((i + 1))
	[ "$i" -lt 160 ] || fail "placement never succeeded: $out"
	sleep 0.5
done
HOST=$(echo "$out" | jq -r '.stages[0].node')
for n in 1 2; do
	[ "$(nid "$n")" = "$HOST" ] && H=$n
done
echo "placed on laptop$H (on AC, 87 %)"
echo 0 >"$DIR/root$H/sys/class/power_supply/AC/online"
echo 5 >"$DIR/root$H/sys/class/power_supply/BAT1/capacity"
echo Discharging >"$DIR/root$H/sys/class/power_supply/BAT1/status"
start=$(date +%s)
i=0
until "$EXOGPU" place --list --json --api "$(api 1)" 2>/dev/null |
    jq -e ".placements[0].epoch >= 2 and
    (.placements[0].stages | all(.node != \"$HOST\"))" >/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || fail "no re-plan off the drained laptop"
	sleep 0.1
done
echo "laptop$H unplugged at 5 %: re-planned onto the other laptop after" \
    "$(( $(date +%s) - start )) s"
echo PASS
