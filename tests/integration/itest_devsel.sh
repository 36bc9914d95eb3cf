#!/bin/sh
# itest_devsel.sh - device identity is node-scoped (issue #14, finding 5:
# a bare device id in a token matched that id on any node, and ids are
# self-reported, so a member could name its device after a victim's and
# attract the tenant's placement).  Two agents on the same sysfs fixture
# report identical device ids - exactly what a forging member would do.
# A token naming a bare device id cannot be issued (CLI, 2; delegated
# issuing, 400); a token naming NODEID/DEVICEID of node 1 is placed on
# node 1 only, although node 2 reports a device with the same id.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq curl
setup devsel
AGENT_NAME=laptop

keygen
fixture_root 1
start 1 --sysfs-root "$DIR/root1" --token-keys "$DIR/keys/token.pub" \
    --token-signing-key "$DIR/keys/token.key"
fixture_root 2
start 2 --sysfs-root "$DIR/root2" --token-keys "$DIR/keys/token.pub" \
    --join "$(quic 1)"
wait_leader "1 2"
tok --sub ops --scope admin,read,place,token:issue --out "$DIR/ops" ||
    fail "issue ops"

# A device id both nodes report.
i=0
while :; do
	DEV=$(curl -s \
	    -H "Authorization: Bearer $(cat "$DIR/ops")" \
	    "http://$(api 1)/v1/devices" | jq -r --arg a "$(nid 1)" \
	    --arg b "$(nid 2)" '[.nodes[] | select(.node_id == $a) |
	    .devices[].device_id] as $x | [.nodes[] |
	    select(.node_id == $b) | .devices[].device_id] as $y |
	    ($x - ($x - $y))[0] // ""')
	[ -n "$DEV" ] && break
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "no device id reported by both nodes"
	sleep 0.1
done
echo "both nodes report a device '$DEV'"

# A bare device id cannot be put in a token.
out=$(tok --sub mallory --scope place --devices "$DEV" 2>&1)
[ $? = 2 ] || fail "token issue accepted a bare device id: $out"
echo "$out" | grep -q "NODEID/DEVICEID" || fail "unclear: $out"
c=$(curl -s -o "$DIR/body" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $(cat "$DIR/ops")" \
    -H 'Content-Type: application/json' --data "{\"sub\": \"mallory\",
    \"scopes\": [\"place\"], \"devices\": [\"$DEV\"], \"ttl_s\": 600}" \
    "http://$(api 1)/v1/tokens")
[ "$c" = 400 ] || fail "POST /v1/tokens with a bare device id: $c $(cat "$DIR/body")"
grep -q "NODEID/DEVICEID" "$DIR/body" || fail "unclear: $(cat "$DIR/body")"
echo "bare device id refused: CLI (2) and POST /v1/tokens (400)"

# NODEID/DEVICEID keeps the placement on that node.
tok --sub alice --scope place,read --devices "$(nid 1)/$DEV" \
    --out "$DIR/alice" || fail "issue alice"
retry_place 160 --model llama-3-8b:q4_0 --json --token "$DIR/alice" \
    --api "$(api 2)" || fail "alice could not place: $out"
echo "$out" | jq -e "(.stages | length) >= 1 and
    (.stages | all(.node == \"$(nid 1)\" and .device == \"$(nid 1)/$DEV\"))" \
    >/dev/null || fail "placement left node 1's $DEV: $out"
echo "placed on $(echo "$out" | jq -c '[.stages[].device]') only"
