#!/bin/sh
# itest_xsite.sh - a web page cannot drive the local API (issue #14,
# finding 6).  One agent with tokens off (the default, loopback API).
# A browser's cross-site "simple" POST (Content-Type: text/plain, a
# foreign Origin) must not revoke a token, a request whose Host is the
# attacker's name (DNS rebinding) must not be served, and a foreign
# Origin is refused even on GET.  The agent's own CLI, curl with the JSON
# content type, localhost and a name given with --http-host keep working.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq curl
setup xsite

start 1 --no-bench --http-host gpu-box.example
wait_leader 1	# revocations are decided by the cluster's log
API=$(api 1)
PORT=${API##*:}
ID=00112233445566778899aabbccddeeff

# code ARGS...: the HTTP status curl got.
code() { curl -s -o "$DIR/body" -w '%{http_code}' "$@"; }
revoked() {
	"$EXOGPU" audit tail --json --api "$API" |
	    jq -e "[.entries[] | select(.action == \"revoke\")] | length > 0" \
	    >/dev/null
}

# 1. The cross-site form POST that revoked a token before.
c=$(code -X POST -H 'Content-Type: text/plain' \
    -H 'Origin: http://evil.example' \
    --data "{\"id\": \"$ID\"}" "http://$API/v1/tokens/revoke")
[ "$c" = 403 ] || fail "cross-site POST answered $c: $(cat "$DIR/body")"
jq -e '.error == "cross_site"' "$DIR/body" >/dev/null ||
    fail "no cross_site error: $(cat "$DIR/body")"
# Without an Origin (an old browser, a form): still no JSON type, 415.
c=$(code -X POST -H 'Content-Type: text/plain' \
    --data "{\"id\": \"$ID\"}" "http://$API/v1/tokens/revoke")
[ "$c" = 415 ] || fail "text/plain POST answered $c: $(cat "$DIR/body")"
c=$(code -X POST --data "{\"id\": \"$ID\"}" \
    "http://$API/v1/tokens/revoke")
[ "$c" = 415 ] || fail "form-encoded POST answered $c"
revoked && fail "a cross-site request revoked a token"
echo "cross-site POSTs refused (403, 415), nothing revoked"

# 2. DNS rebinding: the attacker's name in Host.
c=$(code -H 'Host: attacker.example' "http://$API/v1/members")
[ "$c" = 421 ] || fail "Host attacker.example answered $c"
jq -e '.error == "bad_host"' "$DIR/body" >/dev/null ||
    fail "no bad_host error: $(cat "$DIR/body")"
c=$(code -H "Host: attacker.example:$PORT" "http://$API/v1/status")
[ "$c" = 421 ] || fail "Host attacker.example:PORT answered $c"
# A foreign Origin on a read.
c=$(code -H 'Origin: http://evil.example' "http://$API/v1/members")
[ "$c" = 403 ] || fail "GET with a foreign Origin answered $c"
c=$(code -H 'Origin: null' "http://$API/v1/members")
[ "$c" = 403 ] || fail "GET with Origin null answered $c"
echo "foreign Host (421) and Origin (403) refused"

# 3. What must keep working.
c=$(code "http://$API/v1/members")
[ "$c" = 200 ] || fail "plain GET answered $c"
c=$(code -H "Host: localhost:$PORT" "http://$API/v1/members")
[ "$c" = 200 ] || fail "Host localhost answered $c"
c=$(code -H "Host: GPU-Box.example:$PORT" "http://$API/v1/members")
[ "$c" = 200 ] || fail "Host from --http-host answered $c"
c=$(code -H "Origin: http://$API" "http://$API/v1/members")
[ "$c" = 200 ] || fail "same-origin GET (the dashboard) answered $c"
c=$(code -X POST -H 'Content-Type: application/json; charset=utf-8' \
    -H "Origin: http://$API" --data "{\"id\": \"$ID\"}" \
    "http://$API/v1/tokens/revoke")
[ "$c" = 200 ] || fail "same-origin JSON POST answered $c: $(cat "$DIR/body")"
"$EXOGPU" token revoke ffeeddccbbaa99887766554433221100 --api "$API" \
    >/dev/null || fail "the CLI cannot revoke"
revoked || fail "no revoke in the audit log"
echo "CLI, curl with JSON, localhost and --http-host names still served"

# 4. A bad --http-host stops the agent with a clear error.
out=$(EXOGPU_JOIN_SECRET=$SECRET "$EXOGPU" agent --data-dir "$DIR/bad" \
    --listen 127.0.0.1:0 --http 127.0.0.1:0 --no-mdns \
    --http-host 'bad/name' 2>&1) && fail "agent started with a bad name"
echo "$out" | grep -q "http-host" || fail "unclear: $out"
echo "bad --http-host refused: $out"
