#!/bin/sh
# itest_api_abuse.sh - the local API under abuse stays available: two
# agents on loopback; against the first one's API, 300 idle connections, a
# client sending one header byte per second, a body over 64 KiB (413),
# malformed JSON to POST /v1/placements (400 JSON), an unknown route (404
# JSON) and a wrong method (405 with Allow).  Meanwhile `exogpu status`
# answers within 2 s and `exogpu peers` still shows the peer connected;
# afterwards the agent's open descriptors fall back to where they started
# (the server drops idle connections after AG_API_TIMEOUT_S = 10 s).  A
# third agent, run with a descriptor limit of 128 and sent 200 connections,
# must pause accepting instead of spinning on EMFILE, and recover.
# The raw HTTP clients are bash's /dev/tcp (bash is essential on Debian;
# no python or curl needed).
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq bash
# Agent 1 holds 300 idle connections plus its own descriptors.
[ "$(ulimit -n)" -ge 1024 ] || ulimit -n 1024 2>/dev/null ||
    skip "descriptor limit $(ulimit -n) < 1024"

setup abuse
AGENT_V=
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

start 1 --no-bench
start 2 --no-bench --join "$(quic 1)"
API=$(api 1)
PORT=${API##*:}
PID=$(pid 1)

# Connected, with a leader (POST /v1/placements needs one to parse JSON).
i=0
until "$EXOGPU" status --json --api "$API" 2>/dev/null |
    jq -e '.peers_connected >= 1 and .leader != null' >/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || fail "the two agents did not form a cluster"
	sleep 0.1
done
sleep 0.5
FD0=$(fds "$PID")
echo "agent 1 API $API, pid $PID, $FD0 open descriptors at rest"

# raw METHOD PATH [BODY]: one request on its own connection; prints the
# answer (the server closes it: the request says Connection: close).
raw()
{
	bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	    printf "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" \
	        "$2" "$3" >&3
	    if [ $# -ge 4 ]; then
	        printf "Content-Type: application/json\r\n" >&3
	        printf "Content-Length: %d\r\n\r\n%s" "${#4}" "$4" >&3
	    else
	        printf "\r\n" >&3
	    fi
	    timeout 5 cat <&3' raw "$PORT" "$@"
}
status_of() { head -n 1 | cut -d' ' -f2; }
body_of() { sed '1,/^\r$/d'; }

# 300 idle connections, held by one bash process.
bash -c 'for i in $(seq 300); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$1" || exit 1
	done
	echo opened
	sleep 40' idle "$PORT" >"$DIR/idle.out" 2>&1 &
IDLE=$!
PIDS="$PIDS $IDLE"
# A slowloris-style client: the start of a request, one byte a second.
bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	for c in G E T " " / v 1 / s t a t u s " " H T T P / 1 . 1; do
		printf "%s" "$c" >&3 || { echo "closed by the server"; exit 0; }
		sleep 1
	done
	echo "still open"' slow "$PORT" >"$DIR/slow.out" 2>&1 &
SLOW=$!
PIDS="$PIDS $SLOW"
i=0
until [ "$(fds "$PID")" -ge $((FD0 + 300)) ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "the agent holds $(fds "$PID") descriptors," \
	    "not $FD0 + 300 ($(cat "$DIR/idle.out"))"
	sleep 0.05
done
echo "under load: $(fds "$PID") open descriptors"

# The agent still answers, quickly.
t0=$(now)
timeout 2 "$EXOGPU" status --api "$API" >"$DIR/status.out" 2>&1 ||
    fail "status did not answer within 2 s: $(cat "$DIR/status.out")"
echo "exogpu status under load: $(elapsed "$t0") s"
timeout 2 "$EXOGPU" peers --json --api "$API" |
    jq -e '[.[] | select(.connected)] | length == 1' >/dev/null ||
    fail "the peer is not listed as connected under load"

# Limits and errors.
out=$(bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	printf "POST /v1/placements HTTP/1.1\r\nHost: 127.0.0.1\r\n" >&3
	printf "Content-Length: 70000\r\nConnection: close\r\n\r\n" >&3
	head -c 70000 /dev/zero >&3 2>/dev/null
	timeout 5 cat <&3' big "$PORT")
[ "$(echo "$out" | status_of)" = 413 ] ||
    fail "a 70000-byte body was not refused with 413: $out"
out=$(raw POST /v1/placements '{"model": "x",,}')
[ "$(echo "$out" | status_of)" = 400 ] ||
    fail "malformed JSON did not get 400: $out"
echo "$out" | body_of | jq -e '.error | type == "string"' >/dev/null ||
    fail "the 400 is not a JSON error: $out"
out=$(raw GET /v1/no-such-route)
[ "$(echo "$out" | status_of)" = 404 ] || fail "unknown route: $out"
echo "$out" | body_of | jq -e '.error == "not_found"' >/dev/null ||
    fail "the 404 is not a JSON error: $out"
out=$(raw DELETE /v1/status)
[ "$(echo "$out" | status_of)" = 405 ] || fail "wrong method: $out"
echo "$out" | grep -q '^Allow: GET' || fail "no Allow header: $out"
echo "$out" | body_of | jq -e '.error == "method_not_allowed"' >/dev/null ||
    fail "the 405 is not a JSON error: $out"
echo "413, 400, 404 and 405 answered as specified"

# Still with the idle connections open: answers again, and the peer stays.
[ "$(fds "$PID")" -ge $((FD0 + 300)) ] ||
    fail "idle connections closed before the checks ended"
t0=$(now)
timeout 2 "$EXOGPU" status --api "$API" >/dev/null ||
    fail "status did not answer within 2 s after the abuse"
timeout 2 "$EXOGPU" peers --json --api "$API" |
    jq -e '[.[] | select(.connected)] | length == 1' >/dev/null ||
    fail "the peer dropped during the abuse"
echo "exogpu status again: $(elapsed "$t0") s; peer still connected"

# Idle connections go after the API timeout (10 s); the slow client keeps
# its connection while it trickles bytes (each byte restarts evhttp's
# timer; see docs/operations.md), so it counts as one.
t0=$(now)
i=0
until [ "$(fds "$PID")" -le $((FD0 + 3)) ]; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || fail "descriptors stay at $(fds "$PID")" \
	    "(started at $FD0)"
	sleep 0.1
done
echo "idle connections dropped by the server after $(elapsed "$t0") s more:" \
    "$(fds "$PID") descriptors (started at $FD0)"
kill "$IDLE" 2>/dev/null

# Out of descriptors: a third agent with a limit of 128 gets 200
# connections.  accept() fails with EMFILE; the agent must pause accepting
# (not spin on the listening socket, not flood its log), and serve again
# once the idle connections time out.
AGENT_FDS=128
start 3 --no-bench
API3=$(api 3)
PID3=$(pid 3)
sleep 0.5
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
bash -c 'for i in $(seq 200); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$1" || exit 1
	done
	sleep 14' flood "${API3##*:}" >/dev/null 2>&1 &
FLOOD=$!
PIDS="$PIDS $FLOOD"
sleep 0.5
c0=$(cpu "$PID3")
sleep 3
ticks=$(($(cpu "$PID3") - c0))
hz=$(getconf CLK_TCK)
[ "$(fds "$PID3")" -ge 120 ] ||
    fail "agent 3 holds only $(fds "$PID3") descriptors: no EMFILE reached"
[ "$ticks" -lt "$hz" ] ||
    fail "agent 3 used $ticks/$hz s of CPU in 3 s at its descriptor limit"
n=$(grep -c "accept" "$DIR/a3.log")
[ "$n" -le 2 ] || fail "agent 3 logged $n lines about accept()"
grep -q "cannot accept connections" "$DIR/a3.log" ||
    fail "agent 3 did not say it ran out of descriptors"
echo "at the descriptor limit: $ticks/$hz s CPU in 3 s, $n log line(s)"
t0=$(now)
i=0
until timeout 2 "$EXOGPU" status --api "$API3" >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 10 ] || fail "agent 3 does not serve again after the flood"
done
echo "agent 3 serves again after $(elapsed "$t0") s" \
    "(idle connections timed out)"
kill "$FLOOD" 2>/dev/null
wait "$SLOW"
echo "slow client, one byte a second for 22 s: $(cat "$DIR/slow.out")"
i=0
until [ "$(fds "$PID")" -le $((FD0 + 1)) ]; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || fail "descriptors stay at $(fds "$PID")" \
	    "(started at $FD0) after the slow client left"
	sleep 0.1
done
"$EXOGPU" status --api "$API" >/dev/null || fail "status after the abuse"
echo "PASS"
exit 0
