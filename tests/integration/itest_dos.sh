#!/bin/sh
# itest_dos.sh - cheap denial of service is bounded (issue #14, finding
# 8), on a real agent enforcing tokens:
#   - a client sending forged tokens is answered 429 with Retry-After
#     after --auth-fail-limit failures, and its refusals stop costing an
#     audit record each; a valid token from the same address still works;
#   - one tenant cannot take every placement slot (--tenant-max-placements);
#   - the token keys are parsed once and reloaded when the file changes
#     (and on SIGHUP): a token of a new key works without a restart;
#   - --token-max-age refuses a token issued too long ago.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq curl
setup dos

keygen
cp "$DIR/keys/token.pub" "$DIR/verify.pub"
fixture_root 1
start 1 --sysfs-root "$DIR/root1" --token-keys "$DIR/verify.pub" \
    --auth-fail-limit 5 \
    --tenant-max-placements 1
API=$(api 1)
wait_leader 1
tok --sub ops --scope admin,read --out "$DIR/ops" || fail "issue ops"
tok --sub alice --scope place,read --out "$DIR/alice" || fail "issue alice"

# 1. Forged tokens: 401 five times, then 429 with Retry-After.
code() { curl -s -o "$DIR/body" -D "$DIR/head" -w '%{http_code}' "$@"; }
deny_count() {
	"$EXOGPU" audit tail -n 500 --json --token "$DIR/ops" --api "$API" |
	    jq '[.entries[] | select(.action == "deny")] | length'
}
d0=$(deny_count)
for i in 1 2 3 4 5; do
	c=$(code -H 'Authorization: Bearer AAAAAAAA' "http://$API/v1/members")
	[ "$c" = 401 ] || fail "forged token $i answered $c"
done
for i in 1 2 3 4 5 6 7 8 9 10; do
	c=$(code -H 'Authorization: Bearer AAAAAAAA' "http://$API/v1/members")
	[ "$c" = 429 ] || fail "forged token over the limit answered $c"
done
grep -qi '^Retry-After: [1-9]' "$DIR/head" || fail "no Retry-After: $(cat "$DIR/head")"
jq -e '.error == "too_many_failures"' "$DIR/body" >/dev/null ||
    fail "unclear 429: $(cat "$DIR/body")"
"$EXOGPU" members --token "$DIR/ops" --api "$API" >/dev/null ||
    fail "a valid token from the same address was refused"
d1=$(deny_count)
[ $((d1 - d0)) -le 6 ] || fail "$((d1 - d0)) deny records for 15 forged requests"
echo "forged tokens: 5 x 401, then 429 (Retry-After); $((d1 - d0)) audit records"

# 2. One tenant, one placement slot.
retry_place 120 --model llama-3-8b:q4_0 --json --token "$DIR/alice" \
    --api "$API" || fail "alice could not place: $out"
out=$("$EXOGPU" place --model mistral-7b:q4_0 --token "$DIR/alice" \
    --api "$API" 2>&1) && fail "alice took a second slot"
echo "$out" | grep -q "tenant-max-placements is 1" || fail "unclear: $out"
echo "second placement refused: $out"

# 3. A new key, picked up without a restart.
"$EXOGPU" token keygen --out "$DIR/keys2" >/dev/null || fail "keygen 2"
"$EXOGPU" token issue --key "$DIR/keys2/token.key" --ttl 1h --sub bob \
    --scope read --out "$DIR/bob" || fail "issue bob"
"$EXOGPU" members --token "$DIR/bob" --api "$API" >/dev/null 2>&1 &&
    fail "a token of an unknown key was accepted"
cat "$DIR/keys/token.pub" "$DIR/keys2/token.pub" >"$DIR/verify.pub.new"
mv "$DIR/verify.pub.new" "$DIR/verify.pub"
i=0
until "$EXOGPU" members --token "$DIR/bob" --api "$API" >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || fail "the changed key file was not reloaded"
	sleep 0.1
done
grep -q "token keys reloaded" "$DIR/a1.log" || fail "reload not logged"
kill -HUP "$(pid 1)" || fail "SIGHUP"
sleep 0.3
kill -0 "$(pid 1)" || fail "the agent died on SIGHUP"
echo "token keys reloaded from the changed file and on SIGHUP"

# 4. Maximum token age (3 s, no skew), on an agent of its own.
start 2 --no-bench --token-keys "$DIR/keys/token.pub" --token-max-age 3 \
    --token-skew 0
wait_leader 2	# token checks wait until the node has applied the log
tok --sub carol --scope read --out "$DIR/carol" || fail "issue carol"
"$EXOGPU" members --token "$DIR/carol" --api "$(api 2)" >/dev/null ||
    fail "a fresh token was refused"
sleep 4
out=$("$EXOGPU" members --token "$DIR/carol" --api "$(api 2)" 2>&1) &&
    fail "a token older than --token-max-age was accepted"
echo "$out" | grep -q "maximum token age" || fail "unclear: $out"
echo "old token refused: $(echo "$out" | head -n 1)"
