#!/bin/sh
# cluster-soak.sh - no flapping under load: N agents on loopback (static
# join) run for DURATION seconds while busy loops keep every core saturated;
# afterwards every agent's log is searched for membership changes away from
# "alive" and for leadership changes after the first election.  Both must
# be zero.  Not part of the default suite (it takes minutes):
#     tests/soak/cluster-soak.sh build/exogpu [DURATION] [N] [HOGS]
# Defaults: 600 s, 5 agents, 2 x nproc busy loops.
set -u
EXOGPU=${1:?usage: cluster-soak.sh EXOGPU [DURATION] [N] [HOGS]}
DURATION=${2:-600}
N=${3:-5}
HOGS=${4:-$(( $(nproc) * 2 ))}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/exogpu-soak.XXXXXX") || exit 1
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
trap 'exit 130' INT
trap 'exit 143' TERM

SECRET=$("$EXOGPU" secret) || exit 1
# The agents take the secret from the environment, never argv.
EXOGPU_JOIN_SECRET=$SECRET
export EXOGPU_JOIN_SECRET
"$EXOGPU" -v agent --data-dir "$DIR/d1" --name n1 --listen 127.0.0.1:0 \
    --http 127.0.0.1:0 --no-mdns --no-bench >"$DIR/a1.log" 2>&1 &
PIDS="$PIDS $!"
while [ ! -s "$DIR/d1/run.json" ]; do sleep 0.1; done
FIRST=$(sed -n 's/.*"\(127\.0\.0\.1:[0-9]*\)".*/\1/p' "$DIR/d1/run.json" |
    tail -n 1)
i=2
while [ "$i" -le "$N" ]; do
	"$EXOGPU" -v agent --data-dir "$DIR/d$i" --name "n$i" \
	    --listen 127.0.0.1:0 --http 127.0.0.1:0 --no-mdns --no-bench \
	    --join "$FIRST" >"$DIR/a$i.log" 2>&1 &
	PIDS="$PIDS $!"
	i=$((i + 1))
done
sleep 15			# form, bootstrap, elect
i=0
while [ "$i" -lt "$HOGS" ]; do
	sh -c 'while :; do :; done' &
	PIDS="$PIDS $!"
	i=$((i + 1))
done
echo "soak: $N agents, $HOGS busy loops on $(nproc) cores, $DURATION s"
sleep "$DURATION"
flaps=$(cat "$DIR"/a*.log | grep -c -- "alive -> suspect\|alive -> dead" ||
    true)
elections=$(cat "$DIR"/a*.log | grep -c "election: term [0-9]*, leader" ||
    true)
echo "membership changes away from alive: $flaps"
echo "leaders elected (1 expected for the first election): $elections"
[ "$flaps" = 0 ] && [ "$elections" -le 1 ] && { echo PASS; exit 0; }
echo FAIL
exit 1
