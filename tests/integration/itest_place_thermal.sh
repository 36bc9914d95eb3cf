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
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq
setup thermal

# Two laptops; a model placed on one of them (laptop$H, node id $HOST).
laptops || fail "placement never succeeded: $out"
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
wait_replanned 1 "$HOST" 600 || fail "no re-plan off the heating laptop"
temp=$(($(cat "$ZONE") / 1000))
took=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }")
echo "laptop$H heating: re-planned onto the other laptop after $took s, at" \
    "$temp C (it would cross 90 C after 48.6 s)"
[ "$temp" -lt 85 ] || fail "re-planned only at $temp C: no prediction"
grep -q "predicted to throttle" "$DIR/a$H.log" || fail "no prediction logged"
echo PASS
