#!/bin/sh
# itest_run.sh - `exogpu run` on two real agents on loopback
# (docs/engines.md, "exogpu run").  CI has no llama.cpp, so the pieces
# around it are real and llama.cpp's two programs are played by small
# real servers: each stage's worker is python3's http.server (the agents'
# --worker-command), and llama-server is a python3 program that records
# its arguments, checks that every --rpc endpoint reaches a worker (an
# HTTP request through the agents' tunnel, or to the local worker) and
# then answers /health on its --port.  Both agents have a 3.9 GB board's
# memory (sysfs fixture), so a 5.8 GB model (a sparse GGUF) is placed over
# both and one stage is reached through a tunnel.
#   1. a placement made beforehand by `place` is reused; `run` prints
#      "ready: http://127.0.0.1:PORT/v1" only once the server answers;
#      llama-server got -ngl L+1, --device RPC0,RPC1, -ts, -c, --fit off,
#      --host 127.0.0.1, the extra arguments after --, and every endpoint
#      answered; the remote stage went through the tunnel;
#   2. SIGTERM stops llama-server, releases the placement (workers stop)
#      and exits 0;
#   3. bad input: no llama-server (rc 1, nothing placed), a file that is
#      not GGUF (rc 2), a llama-server that exits at once (rc 1, its exit
#      status named, the placement it made released).
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq python3 curl
setup run

M=$DIR/model.gguf
python3 "$SRC/tests/integration/sparse_gguf.py" "$M" 24 4096 14336 32 8 \
    32000 >/dev/null || fail "cannot write the sparse GGUF"
cat >"$DIR/llama-server" <<'PYEOF'
#!/usr/bin/env python3
# Plays llama-server for itest_run.sh (see there).
import http.server, json, os, socket, sys
args = sys.argv[1:]
d = os.path.dirname(os.path.abspath(sys.argv[0]))
with open(os.path.join(d, "llama.args"), "w") as f:
    json.dump(args, f)
def opt(name):
    return args[args.index(name) + 1]
ok = 0
for ep in opt("--rpc").split(","):
    host, port = ep.rsplit(":", 1)
    c = socket.create_connection((host, int(port)), timeout=20)
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    reply = b""
    while True:
        b = c.recv(4096)
        if not b:
            break
        reply += b
    c.close()
    ok += reply.startswith(b"HTTP/1.0 200")
with open(os.path.join(d, "llama.rpc"), "w") as f:
    f.write("%d\n" % ok)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"status":"ok"}'
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer((opt("--host"), int(opt("--port"))), H).serve_forever()
PYEOF
chmod +x "$DIR/llama-server"
printf '#!/bin/sh\nexit 3\n' >"$DIR/dies"
chmod +x "$DIR/dies"

WC="python3 -m http.server --bind %HOST% %PORT% --directory $DIR"
fixture_root 1 arm-board
fixture_root 2 arm-board
fixture_root 3 arm-board
start 1 --sysfs-root "$DIR/root1" --worker-command "$WC"
start 2 --sysfs-root "$DIR/root2" --join "$(quic 1)" --worker-command "$WC"
start 3 --sysfs-root "$DIR/root3" --join "$(quic 1)" --worker-command "$WC"
wait_leader "1 2 3" 300 3
placements() { "$EXOGPU" place --list --json --api "$(api 1)" |
    jq -c '[.placements[].id]'; }
# None live, seen from node 1 (which may apply the release a moment after
# the leader answered it).
released()
{
	_r_i=0
	until [ "$(placements)" = "[]" ]; do
		_r_i=$((_r_i + 1))
		[ "$_r_i" -lt 50 ] || return 1
		sleep 0.1
	done
}

# 1. place, then run reuses it.
retry_place 120 --model "$M" --json --api "$(api 1)" ||
    fail "placement never succeeded: $out"
ID=$(echo "$out" | jq -r .id)
echo "$out" | jq -e '[.stages[].node] | unique | length == 2' >/dev/null ||
    skip "the model was not placed over both nodes: $(echo "$out" |
    jq -c '[.stages[].node]')"
NST=$(echo "$out" | jq '.stages | length')
i=0
until [ "$(placements)" = "[$ID]" ]; do	# node 1 applied it
	i=$((i + 1))
	[ "$i" -lt 50 ] || fail "node 1 does not list placement $ID"
	sleep 0.1
done
: >"$DIR/run.out"
"$EXOGPU" run --model "$M" --api "$(api 1)" --timeout 60 \
    --llama-server "$DIR/llama-server" -- --threads 2 \
    >"$DIR/run.out" 2>"$DIR/run.err" &
RUN=$!
i=0
until grep -q '^ready: ' "$DIR/run.out"; do
	i=$((i + 1))
	kill -0 "$RUN" 2>/dev/null || fail "run ended: $(cat "$DIR/run.err")"
	[ "$i" -lt 600 ] || fail "run never ready: $(cat "$DIR/run.err")"
	sleep 0.1
done
URL=$(sed -n 's/^ready: //p' "$DIR/run.out")
grep -q "reusing placement $ID" "$DIR/run.err" ||
    fail "run did not reuse placement $ID: $(cat "$DIR/run.err")"
case $URL in
http://127.0.0.1:*/v1) ;;
*) fail "ready line: $URL" ;;
esac
curl -sf "${URL%/v1}/health" | grep -q ok || fail "no answer at $URL"
A=$(cat "$DIR/llama.args")
L=24
echo "$A" | jq -e --arg m "$M" --argjson n "$NST" --argjson l $((L + 1)) '
    def v(k): .[index(k) + 1];
    v("-m") == $m and v("-ngl") == ($l | tostring) and
    v("-sm") == "layer" and v("--fit") == "off" and v("-c") == "4096" and
    v("--host") == "127.0.0.1" and v("--threads") == "2" and
    (v("--device") | split(",")) == [range($n) | "RPC\(.)"] and
    (v("-ts") | split(",") | map(tonumber) | add) == $l and
    (v("--rpc") | split(",") | length) == $n' >/dev/null ||
    fail "llama-server's arguments: $A"
[ "$(cat "$DIR/llama.rpc")" = "$NST" ] ||
    fail "only $(cat "$DIR/llama.rpc") of $NST endpoints reached a worker"
"$EXOGPU" place --list --json --api "$(api 1)" >/dev/null
curl -sf "http://$(api 1)/v1/tunnels" | jq -e --argjson id "$ID" \
    '[.tunnels[]? // .listeners[]? | select(.placement == $id and
    .accepted >= 1)] | length >= 1' >/dev/null ||
    fail "no tunnel carried a connection: $(curl -s "http://$(api 1)/v1/tunnels")"
echo "ready at $URL: $NST stages, $(echo "$A" | jq -r 'index("--rpc") as $i |
    .[$i + 1]'), one through a tunnel"

# 1b. kill -9 the other stage node: the leader re-plans (new epoch) and
# run restarts llama-server on the new stages, saying so.
K=
for n in 2 3; do
	echo "$out" | jq -e --arg n "$(nid "$n")" 'any(.stages[]; .node == $n)' \
	    >/dev/null && K=$n
done
[ -n "$K" ] || fail "no stage outside node 1: $(echo "$out" | jq -c .stages)"
kill -9 "$(pid "$K")"
i=0
until [ "$(grep -c '^ready: ' "$DIR/run.out")" -ge 2 ]; do
	i=$((i + 1))
	kill -0 "$RUN" 2>/dev/null || fail "run ended: $(cat "$DIR/run.err")"
	[ "$i" -lt 900 ] || fail "no restart after the re-plan: $(cat \
	    "$DIR/run.err")"
	sleep 0.1
done
grep -q "placement $ID re-planned (epoch 1 to [0-9]*): restarting" \
    "$DIR/run.err" || fail "no re-plan event: $(cat "$DIR/run.err")"
NST=$("$EXOGPU" place --list --json --api "$(api 1)" | jq --argjson id "$ID" \
    '.placements[] | select(.id == $id) | .stages | length')
[ "$(cat "$DIR/llama.rpc")" = "$NST" ] ||
    fail "after the re-plan $(cat "$DIR/llama.rpc") of $NST endpoints answered"
echo "node $K killed: re-planned, llama-server restarted on $(jq -r \
    'index("--rpc") as $i | .[$i + 1]' "$DIR/llama.args")"

# 2. SIGTERM: llama-server stopped, placement released, exit 0.
SPID=$(pgrep -f "$DIR/llama-server") || fail "no llama-server process"
kill -TERM "$RUN"
wait "$RUN"
RC=$?
[ "$RC" = 0 ] || fail "run exited $RC after SIGTERM: $(cat "$DIR/run.err")"
kill -0 "$SPID" 2>/dev/null && fail "llama-server still running"
released || fail "not released: $(placements)"
echo "SIGTERM: llama-server stopped, placement $ID released"

# 3. Bad input.
"$EXOGPU" run --model "$M" --api "$(api 1)" --llama-server "$DIR/none" \
    2>"$DIR/bad.err"
RC=$?
[ "$RC" = 1 ] && grep -q "llama-server is needed" "$DIR/bad.err" ||
    fail "missing llama-server: rc $RC, $(cat "$DIR/bad.err")"
[ "$(placements)" = "[]" ] || fail "a placement without llama-server"
"$EXOGPU" run --model "$DIR/llama.args" --api "$(api 1)" \
    --llama-server "$DIR/llama-server" 2>"$DIR/bad.err"
RC=$?
[ "$RC" = 2 ] || fail "not a GGUF: rc $RC, $(cat "$DIR/bad.err")"
"$EXOGPU" run --model "$M" --api "$(api 1)" --timeout 60 \
    --llama-server "$DIR/dies" >"$DIR/run.out" 2>"$DIR/bad.err"
RC=$?
[ "$RC" = 1 ] && grep -q "llama-server exited with status 3" \
    "$DIR/bad.err" || fail "dying llama-server: rc $RC, $(cat "$DIR/bad.err")"
grep -q '^ready' "$DIR/run.out" && fail "ready printed for a dead server"
released || fail "the dead server's placement was kept: $(placements)"
echo "bad input: $(grep -c . "$DIR/bad.err") lines, e.g. $(grep exited \
    "$DIR/bad.err")"
echo "PASS"
