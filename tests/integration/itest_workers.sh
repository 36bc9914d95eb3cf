#!/bin/sh
# itest_workers.sh - engine workers supervised by real agents on loopback
# (docs/engines.md, "Workers").  Two agents run with --worker-command set
# to a small real TCP server (python3's http.server on %PORT%); a placed
# model makes the stage's node start one worker per stage, bound to
# 127.0.0.1, and /v1/placements on every node goes starting -> ready.
# kill -9 of a worker restarts it (exogpu_worker_restarts_total + 1, a new
# pid); a release stops it (process gone); stopping the agents leaves no
# process behind.  A third agent, alone, with no engine configured and
# none on PATH, reports the stage failed with a reason naming what is
# missing.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq python3 pgrep
setup workers
G="$SRC/tests/fixtures/placement/tiny-llama.gguf"
WC="python3 -m http.server --bind %HOST% %PORT% --directory $DIR"
start 1 --worker-command "$WC"
start 2 --join "$(quic 1)" --worker-command "$WC"
wait_leader "1 2"

workers() { pgrep -f "http.server --bind 127.0.0.1 [0-9]* --directory $DIR"; }

retry_place 120 --model "$G" --json --api "$(api 1)" ||
    fail "placement never succeeded: $out"
ID=$(echo "$out" | jq -r .id)
echo "placed $ID: $(echo "$out" | jq -c '[.stages[].node]')"
NST=$(echo "$out" | jq '.stages | length')

# Every stage's worker reaches ready, seen from both nodes.
for n in 1 2; do
	i=0
	until "$EXOGPU" place --list --json --api "$(api "$n")" | jq -e \
	    "[.placements[] | select(.id == $ID) | .stages[].worker.state]
	    | length == $NST and all(. == \"ready\")" >/dev/null; do
		i=$((i + 1))
		[ "$i" -lt 150 ] || fail "node $n: workers not ready: $("$EXOGPU" \
		    place --list --json --api "$(api "$n")" | jq -c \
		    '[.placements[].stages[].worker]')"
		sleep 0.1
	done
done
"$EXOGPU" place --list --api "$(api 2)" | grep -q "worker ready" ||
    fail "place --list does not show the worker state"
PORT=$("$EXOGPU" place --list --json --api "$(api 1)" |
    jq -r ".placements[0].stages[0].worker.port")
ss -ltn 2>/dev/null | grep -q "127.0.0.1:$PORT " ||
    fail "no worker listening on 127.0.0.1:$PORT"
ss -ltn 2>/dev/null | grep -E "(\*|0\.0\.0\.0|\[::\]):$PORT " &&
    fail "the worker listens beyond loopback"
echo "workers ready ($NST), stage 0 on 127.0.0.1:$PORT"

# kill -9 a worker: restarted, the metric counts it.
H=$(echo "$out" | jq -r '.stages[0].node')
HN=$(node_of "$H" 1 2) || fail "stage 0's node is not 1 or 2"
metric() {
	curl -fsS "http://$(api "$HN")/metrics" |
	    awk '$1 == "exogpu_worker_restarts_total" { print $2 }'
}
R0=$(metric)
[ "$R0" = 0 ] || fail "restarts before any crash: $R0"
OLD=$(pgrep -f "http.server --bind 127.0.0.1 $PORT --directory $DIR")
[ -n "$OLD" ] || fail "no worker process on port $PORT"
kill -9 "$OLD"
i=0
until [ "$(metric)" = 1 ] && "$EXOGPU" place --list --json \
    --api "$(api "$HN")" | jq -e '.placements[0].stages[0].worker |
    .state == "ready" and .restarts == 1' >/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "worker not restarted: metric $(metric)"
	sleep 0.1
done
NEW=$("$EXOGPU" place --list --json --api "$(api "$HN")" |
    jq -r ".placements[0].stages[0].worker.port")
echo "killed worker restarted (port $PORT -> $NEW, restarts 1)"
grep -q "exogpu: placement $ID epoch 1 stage 0" \
    "$DIR/d$HN/workers/placement-$ID-stage-0.log" ||
    fail "no worker log in the data dir"

# Release: every worker stops.
"$EXOGPU" place --release "$ID" --api "$(api 2)" >/dev/null ||
    fail "release failed"
i=0
while [ -n "$(workers)" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "workers still running after the release"
	sleep 0.1
done
echo "release stopped the workers"

# Stopping the agents stops their workers: place again, stop, look.
retry_place 60 --model "$G" --json --api "$(api 1)" ||
    fail "second placement failed: $out"
i=0
until [ -n "$(workers)" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "no worker for the second placement"
	sleep 0.1
done
stop_all
[ -z "$(workers)" ] || fail "orphan workers after the agents stopped"
echo "stopped agents left no workers"

# No engine at all: a lone agent, an empty PATH, no worker command.
mkdir -p "$DIR/empty"
printf '#!/bin/sh\nPATH=%s exec %s "$@"\n' "$DIR/empty" "$EXOGPU" \
    >"$DIR/nopath"
chmod +x "$DIR/nopath"
REAL=$EXOGPU
EXOGPU=$DIR/nopath
start 3
EXOGPU=$REAL
wait_leader 3
grep -q "engine: no llama.cpp RPC server" "$DIR/a3.log" ||
    fail "the startup log does not say the engine is missing"
retry_place 120 --model "$G" --json --api "$(api 3)" ||
    fail "placement on the lone node failed: $out"
i=0
until "$EXOGPU" place --list --json --api "$(api 3)" | jq -e \
    '.placements[0].stages[0].worker | .state == "failed" and
    (.reason | test("no llama.cpp RPC server.*rpc-server"))' >/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "no failed state: $("$EXOGPU" place --list \
	    --json --api "$(api 3)" | jq -c '.placements[0].stages[0]')"
	sleep 0.1
done
echo "no engine: $("$EXOGPU" place --list --json --api "$(api 3)" |
    jq -r '.placements[0].stages[0].worker.reason')"
echo "PASS"
