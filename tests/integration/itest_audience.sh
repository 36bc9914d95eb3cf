#!/bin/sh
# itest_audience.sh - a token issued for another cluster is refused
# (issue #14, finding 7; RFC 8392 section 3.1.3), with no --token-audience
# configured: the cluster id of the replicated log is the default
# audience.  A token naming this cluster's id, and one with no audience at
# all, are accepted.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq
setup audience
keygen
start 1 --token-keys "$DIR/keys/token.pub"
i=0
until CID=$("$EXOGPU" status --json --api "$(api 1)" |
    jq -r '.cluster_id // empty') && [ -n "$CID" ]; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || fail "no cluster id"
	sleep 0.1
done
tok --sub t --scope read --aud "$CID" --out "$DIR/ours" || fail "issue ours"
tok --sub t --scope read --aud 0123456789abcdef0123456789abcdef \
    --out "$DIR/theirs" || fail "issue theirs"
tok --sub t --scope read --out "$DIR/none" || fail "issue none"
"$EXOGPU" place --list --token "$DIR/ours" --api "$(api 1)" >/dev/null ||
    fail "a token for this cluster ($CID) was refused"
"$EXOGPU" place --list --token "$DIR/none" --api "$(api 1)" >/dev/null ||
    fail "a token without an audience was refused"
if out=$("$EXOGPU" place --list --token "$DIR/theirs" --api "$(api 1)" \
    2>&1); then
	fail "a token for another cluster was accepted"
fi
echo "$out" | grep -qi "audience" || fail "unclear refusal: $out"
echo "cluster $CID: its own token and one without aud accepted; another" \
    "cluster's refused: $out"
echo "PASS"
exit 0
