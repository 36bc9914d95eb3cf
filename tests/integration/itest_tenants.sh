#!/bin/sh
# itest_tenants.sh - multi-tenant enforcement end to end on loopback:
# three agents enforce tokens signed by one operator key.  Two tenants
# hold tokens for disjoint devices (alice: node 1, bob: node 2); neither
# ever gets a stage on the other's devices, sees the other's placements or
# may release them.  A third tenant with max-devices 1 is refused a second
# placement.  A token revoked through node 1 is refused on node 3 once the
# revocation is committed in the cluster's log, also after kill -9 and a
# restart; a flood of junk revocations with expiry 9e18 is clamped and
# does not stop a real one.  Every decision is in the audit logs, and
# `exogpu audit verify` passes on them - then fails after a one-byte edit.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq
setup tenants
FAIL_TAIL=25

keygen
# enforcing N [ARG...]: agent N enforcing tokens of that operator key.
enforcing()
{
	_n=$1
	shift
	start "$_n" --token-keys "$DIR/keys/token.pub" --audit-checkpoint 2 "$@"
}
enforcing 1 --token-signing-key "$DIR/keys/token.key"
FIRST=$(quic 1)
enforcing 2 --join "$FIRST"
enforcing 3 --join "$FIRST"

# Tokens: alice on node 1, bob on node 2, carol on node 3 with a quota.
tok --sub alice --scope place,read --devices "$(nid 1)" --out "$DIR/alice" ||
    fail "issue alice"
tok --sub bob --scope place,read --devices "$(nid 2)" --out "$DIR/bob" ||
    fail "issue bob"
tok --sub carol --scope place --devices "$(nid 3)" --max-devices 1 \
    --out "$DIR/carol" || fail "issue carol"
tok --sub ops --scope admin,read --out "$DIR/ops" || fail "issue ops"
ALICE_ID=$("$EXOGPU" token inspect "$DIR/alice" --json | jq -r .claims.cti)

# Health is public; everything else needs a token.
wait_leader 3
out=$("$EXOGPU" members --api "$(api 2)" 2>&1) && fail "read without a token"
echo "$out" | grep -q "enforces tokens" || fail "unclear refusal: $out"
out=$("$EXOGPU" place --model llama-3-8b:q4_0 --api "$(api 2)" 2>&1) &&
    fail "placed without a token"
# A token is checked once node 2 has applied the log (until then 503
# catching_up: it knows a leader before the leader's next heartbeat tells
# it the commit index).
i=0
while :; do
	out=$("$EXOGPU" place --model llama-3-8b:q4_0 --token "$DIR/ops" \
	    --api "$(api 2)" 2>&1) && fail "placed with a token lacking 'place'"
	echo "$out" | grep -q "not yet applied" || break
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "node 2 never applied the log: $out"
	sleep 0.1
done
echo "$out" | grep -q "scope" || fail "unclear scope refusal: $out"
echo "no token / wrong scope refused: $out"

# place NAME TOKEN NODE: retries while devices are still being measured.
place()
{
	retry_place 120 --model "$1" --json --token "$DIR/$2" \
	    --api "$(api "$3")"
}
place llama-3-8b:q4_0 alice 2 || fail "alice could not place: $out"
A=$out
place llama-3-8b:q4_0 bob 3 || fail "bob could not place: $out"
B=$out
echo "$A" | jq -e "(.stages | length) >= 1 and .tenant == \"alice\" and
    (.stages | all(.node == \"$(nid 1)\"))" >/dev/null ||
    fail "alice's placement left her devices: $A"
echo "$B" | jq -e "(.stages | length) >= 1 and
    (.stages | all(.node == \"$(nid 2)\"))" >/dev/null ||
    fail "bob's placement left his devices: $B"
echo "alice on $(echo "$A" | jq -c '[.stages[].device]'), bob on" \
    "$(echo "$B" | jq -c '[.stages[].device]')"
AID=$(echo "$A" | jq -r .id)
BID=$(echo "$B" | jq -r .id)

# Tenant-scoped reads and releases.  Node 3 reads its own copy of the
# log: wait until it applied both placements (a follower hears of a
# commit with the leader's next heartbeat).
i=0
until "$EXOGPU" place --list --json --token "$DIR/ops" --api "$(api 3)" |
    jq -e '.placements | length == 2' >/dev/null; do
	i=$((i + 1)); [ "$i" -lt 50 ] || fail "admin sees all"
	sleep 0.1
done
"$EXOGPU" place --list --json --token "$DIR/alice" --api "$(api 3)" |
    jq -e "[.placements[].id] == [$AID]" >/dev/null ||
    fail "alice sees other tenants' placements"
"$EXOGPU" place --list --json --token "$DIR/ops" --api "$(api 3)" |
    jq -e '.placements | length == 2' >/dev/null || fail "admin sees all"
out=$("$EXOGPU" place --release "$BID" --token "$DIR/alice" \
    --api "$(api 1)" 2>&1) && fail "alice released bob's placement"
echo "$out" | grep -q "another tenant" || fail "unclear: $out"

# Quota: carol may hold one device.
place llama-3-8b:q4_0 carol 1 || fail "carol's first placement: $out"
place llama-3-8b:q4_0 carol 1 && fail "carol went over her quota"
echo "$out" | grep -q "max_devices is 1" || fail "unclear quota denial: $out"
echo "over quota refused: $(echo "$out" | grep -m1 quota)"

# Revoke alice through node 1; node 3 refuses her once it has gossiped.
"$EXOGPU" token revoke "$DIR/alice" --token "$DIR/alice" --api "$(api 1)" \
    >/dev/null 2>&1 && fail "alice revoked with a non-admin token"
"$EXOGPU" token revoke "$DIR/alice" --token "$DIR/ops" --api "$(api 1)" ||
    fail "revoke failed"
t0=$(now)
i=0
while out=$("$EXOGPU" place --list --token "$DIR/alice" --api "$(api 3)" \
    2>&1); do
	i=$((i + 1))
	[ "$i" -lt 200 ] || fail "node 3 still accepts the revoked token"
	sleep 0.05
done
echo "$out" | grep -q "revoked" || fail "not refused as revoked: $out"
echo "revoked on node 1, refused on node 3 after $(elapsed "$t0") s"
# Node 2 too (it may learn a moment later): then a placement through it
# is refused, whichever node leads.
i=0
while "$EXOGPU" place --list --token "$DIR/alice" --api "$(api 2)" \
    >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || fail "node 2 still accepts the revoked token"
	sleep 0.05
done
out=$("$EXOGPU" place --model mistral-7b:q4_0 --token "$DIR/alice" \
    --api "$(api 2)" 2>&1) && fail "revoked token placed through node 2"

# Delegation: dana may issue tokens through node 1 (which holds the
# signing key), never wider than her own.
tok --sub dana --scope token:issue,place,read --devices "$(nid 1)" \
    --max-devices 2 --out "$DIR/dana" || fail "issue dana"
"$EXOGPU" token issue --token "$DIR/dana" --api "$(api 1)" --sub dana \
    --scope place --devices "$(nid 1)" --max-devices 1 --ttl 10m \
    --out "$DIR/dana-child" || fail "delegated issue refused"
"$EXOGPU" token inspect "$DIR/dana-child" --key "$DIR/keys/token.pub" \
    --json | jq -e '.valid and .claims.sub == "dana" and
    .claims.max_devices == 1' >/dev/null || fail "bad delegated token"
"$EXOGPU" place --list --token "$DIR/dana-child" --api "$(api 2)" \
    >/dev/null || fail "the delegated token does not work on node 2"
for wider in "--scope admin" "--scope place --devices $(nid 2)" \
    "--scope place --max-devices 3" "--scope place --ttl 2h"; do
	# shellcheck disable=SC2086
	out=$("$EXOGPU" token issue --token "$DIR/dana" --api "$(api 1)" \
	    --sub dana --ttl 10m $wider 2>&1) &&
	    fail "a wider delegated token was issued ($wider)"
	echo "$out" | grep -q "403" || fail "not 403 for $wider: $out"
done
out=$("$EXOGPU" token issue --token "$DIR/dana" --api "$(api 1)" --sub eve \
    --scope place --ttl 10m 2>&1) && fail "dana issued for another tenant"
out=$("$EXOGPU" token issue --token "$DIR/dana" --api "$(api 2)" --sub dana \
    --scope place --ttl 10m 2>&1) && fail "node 2 issued without a key"
echo "$out" | grep -q "501" || fail "not 501 without a signing key: $out"
echo "delegated issuing: narrower allowed, wider refused (403)"

# The audit log over the API is admin only.
"$EXOGPU" audit tail --json --token "$DIR/bob" --api "$(api 1)" \
    >/dev/null 2>&1 && fail "bob read the audit log"
# The revocation is recorded by the leader that proposed it.
found=
for n in 1 2 3; do
	"$EXOGPU" audit tail --json --token "$DIR/ops" --api "$(api "$n")" |
	    jq -e '[.entries[] | select(.action == "revoke")] | length >= 1' \
	    >/dev/null && found=$n
done
[ -n "$found" ] || fail "no revoke entry in any node's audit tail"

# Junk revocations that never expire (the attack that once filled every
# node's list for good): clamped to the horizon, and a real one still
# goes in after them.
i=0
while [ "$i" -lt 140 ]; do
	printf '{"id":"%032x","expires":9000000000000000000}' "$((i + 4096))" |
	    curl -sf -H "Authorization: Bearer $(cat "$DIR/ops")" \
	    -H 'Content-Type: application/json' --data @- \
	    "http://$(api 2)/v1/tokens/revoke" >"$DIR/junk" ||
	    fail "junk revocation $i refused: $(cat "$DIR/junk")"
	i=$((i + 1))
done
jq -e ".expires < $(date +%s) + 400 * 86400" "$DIR/junk" >/dev/null ||
    fail "an expiry of 9e18 was kept: $(cat "$DIR/junk")"
"$EXOGPU" token revoke "$DIR/bob" --token "$DIR/ops" --api "$(api 3)" ||
    fail "a real revocation after 140 junk ones failed"
echo "140 junk revocations clamped, a real one still committed"

# kill -9 node 3 and restart it: the revocations are in the log.
kill -9 "$(pid 3)"
sleep 1
enforcing 3 --join "$FIRST"
i=0
until out=$("$EXOGPU" status --api "$(api 3)" 2>&1); do
	i=$((i + 1)); [ "$i" -lt 100 ] || fail "node 3 did not come back"
	sleep 0.1
done
# Until it has replayed the log it answers 503 catching_up, never 200.
i=0
while :; do
	out=$("$EXOGPU" place --list --token "$DIR/alice" --api "$(api 3)" \
	    2>&1) && fail "restarted node 3 forgot the revocation"
	echo "$out" | grep -q "not yet applied" || break
	i=$((i + 1)); [ "$i" -lt 100 ] || fail "node 3 never caught up"
	sleep 0.1
done
echo "$out" | grep -q revoked || fail "not refused as revoked: $out"
out=$("$EXOGPU" place --list --token "$DIR/bob" --api "$(api 3)" 2>&1) &&
    fail "restarted node 3 forgot bob's revocation"

# Stop everything (final checkpoints), then check the logs.
stop_all
cat "$DIR"/d*/audit.log >"$DIR/all.log"
for want in "action=place.*decision=allowed" \
    "actor=tok:[0-9a-f]*@carol action=place .*decision=denied reason=quota" \
    "action=deny .*decision=denied reason=token%20revoked" \
    "actor=anonymous action=deny" "action=release .*decision=denied" \
    "action=revoke object=token/$ALICE_ID decision=allowed" \
    "action=leader" \
    "actor=tok:[0-9a-f]*@dana action=issue object=token/.* decision=allowed" \
    "actor=tok:[0-9a-f]*@dana action=issue .*decision=denied" \
    "action=config"; do
	grep -q "$want" "$DIR/all.log" || fail "no audit entry matching $want"
done
for n in 1 2 3; do
	"$EXOGPU" audit verify "$DIR/d$n/audit.log" --key "$DIR/d$n/audit.pub" \
	    >"$DIR/v$n" 2>&1 || fail "audit of node $n: $(cat "$DIR/v$n")"
done
echo "audit verify: $(cat "$DIR/v1")"
# One byte changed in a record (its year: still well-formed): the chain
# breaks at the next entry.
line=$(grep -n 'kind=rec' "$DIR/d1/audit.log" | sed -n 2p | cut -d: -f1)
sed -i "${line}s/ time=20/ time=21/" "$DIR/d1/audit.log"
out=$("$EXOGPU" audit verify "$DIR/d1/audit.log" --key "$DIR/d1/audit.pub" \
    2>&1) && fail "a one-byte edit went unnoticed"
echo "$out" | grep -q "line $line " || fail "not found at its entry: $out"
echo "after a one-byte edit on line $line: $out"
echo "PASS"
exit 0
