#!/bin/sh
# itest_dashboard.sh - the web dashboard in a real browser: three agents on
# loopback elect a leader and place a model, then headless Chromium loads
# the leader's page (GET /), runs its script against the live API and
# dumps the resulting DOM.  The DOM must show the three members (by
# data-node-id), the leader badge on the leader's row, every device, the
# link matrix and the placement with its stage segments and layer ranges.
# A fourth agent that enforces tokens must make the page ask for one.
# The page's own CSP is in force, so a hash mismatch between the served
# CSP and the inline script fails the test too.  A screenshot goes to
# ${EXOGPU_ARTIFACTS:-<build dir>/artifacts}/dashboard.png.
# Skips (77) without Chromium or jq.  $1: the exogpu binary, $2: the
# source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
BUILD=$(cd "$(dirname "$EXOGPU")" && pwd)
ART=${EXOGPU_ARTIFACTS:-$BUILD/artifacts}

CHROME=${CHROMIUM:-}
if [ -z "$CHROME" ]; then
	for c in chromium chromium-browser google-chrome; do
		if command -v "$c" >/dev/null 2>&1; then
			CHROME=$c
			break
		fi
	done
fi
[ -n "$CHROME" ] || skip "chromium not installed" \
    "(apt-get install chromium, or set CHROMIUM)"
need jq

setup dash
FAIL_LOGS='a*.log chrome*.log'
FAIL_TAIL=15

# Headless Chromium with a throw-away profile; --no-sandbox because the
# test often runs as root (or where user namespaces are off) and only
# loads our own loopback page.  $1: what to do (--dump-dom or
# --screenshot=PATH), $2: URL, $3: log name.
browse()
{
	HOME=$DIR XDG_CONFIG_HOME=$DIR/xdg XDG_CACHE_HOME=$DIR/xdg \
	    timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu \
	    --no-first-run --no-default-browser-check --disable-extensions \
	    --disable-dev-shm-usage --hide-scrollbars \
	    --user-data-dir="$DIR/profile-$3" --window-size=1400,1000 \
	    --virtual-time-budget=4000 "$1" "$2" 2>"$DIR/chrome-$3.log"
}

start 1
FIRST=$(quic 1)
start 2 --join "$FIRST"
start 3 --join "$FIRST"
wait_leader "1 2 3"
URL="http://$(api "$L")/"

# A placement (retried while devices are still being measured); a larger
# model too when this machine's memory allows, for a multi-stage bar.
retry_place 100 --model llama-3-8b:q4_0 --json --api "$(api "$L")" ||
    fail "placement never succeeded: $out"
PID=$(echo "$out" | jq -r .id)
S0=$(echo "$out" | jq -r '.stages[0].layer_start')
E0=$(echo "$out" | jq -r '.stages[0].layer_end')
"$EXOGPU" place --model llama-3-70b:q4_0 --api "$(api "$L")" >/dev/null \
    2>&1 || echo "note: llama-3-70b:q4_0 does not fit here; one model shown"

# The JSON views behind the page (curl is optional: the page checks them
# through the browser below either way).
if command -v curl >/dev/null 2>&1; then
	curl -sf "${URL}v1/devices" | jq -e --arg l "$LEADER" '
	    (.nodes | length) == 3 and
	    ([.nodes[] | select(.leader)] | map(.node_id)) == [$l] and
	    all(.nodes[]; .node_id as $n | (.devices | length) >= 1 and
	        all(.devices[]; .id == "\($n)/\(.device_id)"))' \
	    >/dev/null || fail "bad /v1/devices: $(curl -s "${URL}v1/devices")"
	curl -sf "${URL}v1/links" | jq -e '
	    (.nodes | length) == 3 and (.links | length) <= 3 and
	    ([.links[] | [.a, .b] | sort] | unique | length) ==
	        (.links | length) and
	    all(.links[]; .a < .b and (.reported_by | length) >= 1)' \
	    >/dev/null || fail "bad /v1/links: $(curl -s "${URL}v1/links")"
	hdr=$(curl -sf -D - -o "$DIR/page.html" "$URL") || fail "GET / failed"
	echo "$hdr" | grep -qi '^content-type: text/html' ||
	    fail "GET / is not HTML: $hdr"
	echo "$hdr" | grep -qi "^content-security-policy: default-src 'none'" ||
	    fail "GET / has no CSP: $hdr"
	curl -s -D - -o /dev/null "${URL}v1/devices" |
	    grep -qi '^content-security-policy' &&
	    fail "the CSP leaked onto a JSON route"
else
	echo "note: curl not installed; JSON and header checks left to the page"
fi

# What a browser makes of the page.
browse --dump-dom "$URL" dom >"$DIR/dom.html" ||
    fail "chromium failed (exit $?)"
grep -q 'id="members-body"' "$DIR/dom.html" || fail "no page in the DOM dump"
for n in 1 2 3; do
	grep -q "<tr class=\"member\" data-node-id=\"$(nid "$n")\"" \
	    "$DIR/dom.html" || fail "member n$n ($(nid "$n")) not shown"
	grep -q "data-device-id=\"$(nid "$n")/" "$DIR/dom.html" ||
	    fail "no device of n$n shown"
done
row=$(sed -n "s|.*\(<tr class=\"member\" data-node-id=\"$LEADER\"\)|\1|p" \
    "$DIR/dom.html" | sed 's|</tr>.*||')
echo "$row" | grep -q 'data-badge="leader"' ||
    fail "no leader badge on the leader's row: $row"
[ "$(grep -o 'data-badge="leader"' "$DIR/dom.html" | wc -l)" -eq 1 ] ||
    fail "more than one leader badge"
grep -q "data-placement-id=\"$PID\"" "$DIR/dom.html" ||
    fail "placement $PID not shown"
grep -q "class=\"seg\" data-stage=\"0\"[^>]*data-layer-start=\"$S0\" data-layer-end=\"$E0\"" \
    "$DIR/dom.html" || fail "no stage segment for layers $S0..$E0"
grep -q "L$S0–$((E0 - 1))" "$DIR/dom.html" ||
    fail "no layer range label L$S0–$((E0 - 1))"
[ "$(grep -o '<td class="cell[^"]*" data-a=' "$DIR/dom.html" | wc -l)" \
    -eq 6 ] || fail "the link matrix is not 3 x 3"
grep -q 'id="error-bar" hidden' "$DIR/dom.html" ||
    fail "the page shows an error: $(grep -o 'id="error-bar"[^<]*' \
    "$DIR/dom.html")"
grep -q 'id="auth" hidden' "$DIR/dom.html" ||
    fail "the page asks for a token on an open API"
echo "DOM: 3 members, leader badge, devices, 3 x 3 links, placement" \
    "$PID with layers $S0-$((E0 - 1))"

mkdir -p "$ART" || fail "cannot create $ART"
browse --screenshot="$ART/dashboard.png" "$URL" shot >/dev/null ||
    fail "chromium screenshot failed"
[ -s "$ART/dashboard.png" ] || fail "no screenshot written"
echo "screenshot: $ART/dashboard.png"

# An agent that enforces tokens: the page still loads (GET / and
# /v1/status are public) and asks for a token instead of showing data.
"$EXOGPU" token keygen --out "$DIR/tok" >/dev/null || fail "token keygen"
SECRET=$("$EXOGPU" secret) || fail "secret"	# a cluster of its own
start 4 --token-keys "$DIR/tok/token.pub"
browse --dump-dom "http://$(api 4)/" auth >"$DIR/dom4.html" ||
    fail "chromium failed on the token-enforcing agent"
grep -q '<div class="banner auth" id="auth">' "$DIR/dom4.html" ||
    fail "no token form on a 401"
grep -q 'data-node-id=' "$DIR/dom4.html" &&
    fail "members shown without a token"
grep -q 'id="self-name">n4' "$DIR/dom4.html" ||
    fail "public status not shown next to the token form"
echo "token-enforcing agent: the page asks for a token"
echo "PASS"
exit 0
