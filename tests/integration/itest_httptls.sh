#!/bin/sh
# itest_httptls.sh - the local API over TLS (--http-tls).  Agent 1 serves
# its node certificate (--http-tls node): `exogpu status` reaches it at
# https:// pinning DATA/node.pem, and refuses it without --api-ca, with a
# CA whose name does not match the address, and over plain http; curl
# gets /v1/status trusting the cluster CA under the node's name; a plain
# HTTP request to the TLS port gets no HTTP answer and its connection is
# closed, as is an idle one after the 10 s limit; the agent stays up
# through all of it.  A key file others may
# read stops an agent at start.  With certtool installed, agent 2 serves
# an operator's certificate for 127.0.0.1 (--http-tls CERT,KEY) and both
# curl --cacert and `exogpu status --api-ca` verify it through its CA.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq curl bash

setup httptls
start 1 --no-bench --http-tls node
API=$(api 1)
PORT=${API##*:}
NID=$(nid 1)
grep -q "API on https://$API" "$DIR/a1.log" || fail "no https:// in the log"

# An idle connection to the TLS port (no handshake at all) must be closed
# by the API's 10 s limit; watched in the background meanwhile.
bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	t0=$(date +%s)
	timeout 20 cat <&3 >/dev/null
	echo "$?" $(($(date +%s) - t0))' idle "$PORT" >"$DIR/idle.out" 2>&1 &
IDLE=$!

# The CLI, pinning the node's certificate.
got=$("$EXOGPU" status --json --api "https://$API" \
    --api-ca "$DIR/d1/node.pem" | jq -r .node_id) ||
    fail "exogpu status over https failed"
[ "$got" = "$NID" ] || fail "status over https named '$got', not $NID"
EXOGPU_API_CA=$DIR/d1/node.pem "$EXOGPU" members --json \
    --api "https://$API" | jq -e 'length == 1' >/dev/null ||
    fail "members over https with \$EXOGPU_API_CA failed"
echo "exogpu status and members over https: ok"

# Refusals: no trust given; a CA that vouches for a name, not 127.0.0.1;
# plain http to the TLS port.
"$EXOGPU" status --api "https://$API" >"$DIR/noca.out" 2>&1 &&
    fail "https without --api-ca succeeded"
grep -q -- "--api-ca" "$DIR/noca.out" || fail "no --api-ca hint"
"$EXOGPU" status --api "https://$API" --api-ca "$DIR/d1/ca.pem" \
    >"$DIR/name.out" 2>&1 && fail "a CA-signed name matched 127.0.0.1"
grep -q "does not match" "$DIR/name.out" ||
    fail "name mismatch not explained: $(cat "$DIR/name.out")"
"$EXOGPU" status --api "$API" >"$DIR/plain.out" 2>&1 &&
    fail "plain http to the TLS port succeeded"
grep -q "https://" "$DIR/plain.out" || fail "no https:// hint"
echo "refusals: ok"

# curl: the cluster CA vouches for the node's name (n1), so connect to that
# name on 127.0.0.1; Host stays the address the API guards.
got=$(curl -sS --max-time 10 --cacert "$DIR/d1/ca.pem" \
    --resolve "n1:$PORT:127.0.0.1" -H "Host: $API" \
    "https://n1:$PORT/v1/status" | jq -r .node_id) ||
    fail "curl --cacert over https failed"
[ "$got" = "$NID" ] || fail "curl got node '$got', not $NID"
echo "curl --cacert: ok"

# A plain HTTP request to the TLS port: no HTTP answer, connection closed
# (cat ends well before its timeout).
t0=$(now)
bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	printf "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" >&3
	timeout 8 cat <&3' plain "$PORT" >"$DIR/raw.out" 2>&1
t=$(elapsed "$t0")
if grep -q "HTTP/" "$DIR/raw.out"; then
	fail "plain HTTP got an HTTP answer: $(head -c 200 "$DIR/raw.out")"
fi
[ "${t%.*}" -lt 5 ] || fail "plain HTTP connection held open ${t} s"
echo "plain HTTP to the TLS port: no answer, closed after ${t} s"

# The idle connection: closed by the server (cat ends at EOF, rc 0) after
# about 10 s, not by the 20 s timeout (rc 124).
wait "$IDLE"
read -r rc secs <"$DIR/idle.out" || fail "idle watcher: $(cat "$DIR/idle.out")"
[ "$rc" = 0 ] && [ "$secs" -ge 8 ] && [ "$secs" -le 15 ] ||
    fail "idle TLS connection: cat rc $rc after $secs s (want 0 after ~10)"
echo "idle TLS connection closed after $secs s"

# Still up, still serving.
kill -0 "$(pid 1)" || fail "agent 1 died"
"$EXOGPU" status --api "https://$API" --api-ca "$DIR/d1/node.pem" \
    >/dev/null || fail "status over https failed after the refusals"
grep -q "TLS failure" "$DIR/a1.log" || fail "the TLS failure was not logged"

# A key file others may read is refused at start.
cp "$DIR/d1/node.pem" "$DIR/op.pem"
cp "$DIR/d1/node.key" "$DIR/op.key"
chmod 644 "$DIR/op.key"
if EXOGPU_JOIN_SECRET=$SECRET timeout 10 "$EXOGPU" agent \
    --data-dir "$DIR/dk" --listen 127.0.0.1:0 --http 127.0.0.1:0 --no-mdns \
    --no-bench --http-tls "$DIR/op.pem,$DIR/op.key" >"$DIR/mode.out" 2>&1
then
	fail "an agent started with a world-readable --http-tls key"
fi
grep -q "chmod 600" "$DIR/mode.out" ||
    fail "key mode refusal not explained: $(cat "$DIR/mode.out")"
echo "world-readable key refused: ok"

if ! command -v certtool >/dev/null; then
	echo "certtool not installed: operator certificate part not run"
	exit 0
fi
# An operator CA and a server certificate for 127.0.0.1.
cd "$DIR" || exit 1
printf 'cn = "test CA"\nca\ncert_signing_key\nexpiration_days = 2\n' \
    >ca.tmpl
printf 'cn = "exogpu api"\nip_address = "127.0.0.1"\ntls_www_server\n%s\n' \
    'expiration_days = 2' >srv.tmpl
certtool -p --key-type=ecdsa --outfile opca.key 2>/dev/null &&
certtool -s --load-privkey opca.key --template ca.tmpl \
    --outfile opca.pem 2>/dev/null &&
certtool -p --key-type=ecdsa --outfile srv.key 2>/dev/null &&
certtool -c --load-privkey srv.key --load-ca-privkey opca.key \
    --load-ca-certificate opca.pem --template srv.tmpl \
    --outfile srv.pem 2>/dev/null || fail "certtool failed"
chmod 600 srv.key
cd - >/dev/null || exit 1
start 2 --no-bench --http-tls "$DIR/srv.pem,$DIR/srv.key"
API2=$(api 2)
got=$(curl -sS --max-time 10 --cacert "$DIR/opca.pem" \
    "https://$API2/v1/status" | jq -r .name) || fail "curl to agent 2 failed"
[ "$got" = n2 ] || fail "curl to agent 2 named '$got'"
got=$("$EXOGPU" status --json --api "https://$API2" \
    --api-ca "$DIR/opca.pem" | jq -r .name) ||
    fail "exogpu status through the operator CA failed"
[ "$got" = n2 ] || fail "exogpu status to agent 2 named '$got'"
echo "operator certificate (curl --cacert, exogpu --api-ca): ok"
echo "PASS"
