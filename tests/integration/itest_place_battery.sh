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
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq
setup battery

# Two laptops; a model placed on one of them (laptop$H, node id $HOST).
laptops || fail "placement never succeeded: $out"
echo "placed on laptop$H (on AC, 87 %)"
echo 0 >"$DIR/root$H/sys/class/power_supply/AC/online"
echo 5 >"$DIR/root$H/sys/class/power_supply/BAT1/capacity"
echo Discharging >"$DIR/root$H/sys/class/power_supply/BAT1/status"
start=$(date +%s)
wait_replanned 1 "$HOST" 200 || fail "no re-plan off the drained laptop"
echo "laptop$H unplugged at 5 %: re-planned onto the other laptop after" \
    "$(( $(date +%s) - start )) s"
echo PASS
