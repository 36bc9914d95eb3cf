#!/bin/sh
# cluster-soak.sh - no flapping under load: N agents on loopback (static
# join) run for DURATION seconds while busy loops keep every core saturated;
# afterwards every agent's log is searched for membership changes away from
# "alive" and for leadership changes after the first election.  Both must
# be zero.  Not part of the default suite (it takes minutes):
#     tests/soak/cluster-soak.sh build/exogpu [DURATION] [N] [HOGS]
# Defaults: 600 s, 5 agents, 2 x nproc busy loops.  SOAK_AGENT_ARGS adds
# agent options (e.g. "--membership transport"; probe is the default).
# Only what the logs say after the cluster formed (the busy loops' start)
# counts.
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
    --http 127.0.0.1:0 --no-mdns --no-bench ${SOAK_AGENT_ARGS:-} \
    >"$DIR/a1.log" 2>&1 &
PIDS="$PIDS $!"
while [ ! -s "$DIR/d1/run.json" ]; do sleep 0.1; done
FIRST=$(sed -n 's/.*"\(127\.0\.0\.1:[0-9]*\)".*/\1/p' "$DIR/d1/run.json" |
    tail -n 1)
i=2
while [ "$i" -le "$N" ]; do
	"$EXOGPU" -v agent --data-dir "$DIR/d$i" --name "n$i" \
	    --listen 127.0.0.1:0 --http 127.0.0.1:0 --no-mdns --no-bench \
	    --join "$FIRST" ${SOAK_AGENT_ARGS:-} >"$DIR/a$i.log" 2>&1 &
	PIDS="$PIDS $!"
	i=$((i + 1))
done
sleep 15			# form, bootstrap, elect
i=1
while [ "$i" -le "$N" ]; do	# where each log stands when the load starts
	eval "from_$i=$(($(wc -l <"$DIR/a$i.log") + 1))"
	i=$((i + 1))
done
after()	# the lines of every log since the load started
{
	_i=1
	while [ "$_i" -le "$N" ]; do
		eval "tail -n +\$from_$_i \"\$DIR/a\$_i.log\""
		_i=$((_i + 1))
	done
}
leader0=$(grep -ho "raft: term [0-9]*, [a-z]*, leader [a-z0-9]*" "$DIR"/a*.log |
    awk '{ print $3 }' | sort -n | tail -n 1)
i=0
while [ "$i" -lt "$HOGS" ]; do
	sh -c 'while :; do :; done' &
	PIDS="$PIDS $!"
	i=$((i + 1))
done
echo "soak: $N agents, $HOGS busy loops on $(nproc) cores, $DURATION s"
sleep "$DURATION"
flaps=$(after | grep -c -- "alive -> suspect\|alive -> dead" || true)
# terms that had a leader after the load started, other than the formed one
elections=$(after | grep -o "raft: term [0-9]*, [a-z]*, leader" |
    awk -v t0="${leader0:-0}" '{ sub(",", "", $3); if ($3 + 0 > t0 + 0) print $3 }' |
    sort -u | wc -l)
echo "membership changes away from alive: $flaps"
echo "terms with a new leader under load (0 expected): $elections"
[ -n "$leader0" ] || { echo "FAIL: no leader before the load"; exit 1; }
[ "$flaps" = 0 ] && [ "$elections" = 0 ] && { echo PASS; exit 0; }
echo FAIL
exit 1
