#!/bin/sh
# itest_place_thermal.sh - the leader re-plans away from a device its node
# PREDICTS will throttle, before it is hot: two agents read /sys from
# copies of the laptop fixture (--sysfs-root), so the test drives the CPU
# package temperature.  After a model is placed, the hosting laptop heats
# along a first-order RC curve towards 95 C (60 C start, tau 25 s); its
# agent fits the curve from its samples (agent/ag_thermal.c), predicts the
# crossing of the 85 C pause point, gossips the flag, and the leader moves
# the placement to the other laptop - while the host is still far below
# the 90 C "too hot" line the plain temperature rule would wait for.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
DIR=$(mktemp -d "${TMPDIR:-/tmp}/exogpu-thermal.XXXXXX") || exit 1
PIDS=
cleanup()
{
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$DIR"
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
ZONE="$DIR/root$H/sys/class/thermal/thermal_zone1/temp"
echo "placed on laptop$H (package at $(($(cat "$ZONE") / 1000)) C)"
# Heat it: T(t) = 95 - 35 exp(-t / 25), written every 0.25 s.
(
	t=0
	while :; do
		awk "BEGIN { printf \"%d\\n\", (95 - 35 * exp(-$t / 25)) * 1000 }" \
		    >"$ZONE.new" && mv "$ZONE.new" "$ZONE"
		t=$(awk "BEGIN { print $t + 0.25 }")
		sleep 0.25
	done
) &
PIDS="$PIDS $!"
start=$(date +%s.%N)
i=0
until "$EXOGPU" place --list --json --api "$(api 1)" 2>/dev/null |
    jq -e ".placements[0].epoch >= 2 and
    (.placements[0].stages | all(.node != \"$HOST\"))" >/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 600 ] || fail "no re-plan off the heating laptop"
	sleep 0.1
done
temp=$(($(cat "$ZONE") / 1000))
took=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }")
echo "laptop$H heating: re-planned onto the other laptop after $took s, at" \
    "$temp C (it would cross 90 C after 48.6 s)"
[ "$temp" -lt 85 ] || fail "re-planned only at $temp C: no prediction"
grep -q "predicted to throttle" "$DIR/a$H.log" || fail "no prediction logged"
echo PASS
