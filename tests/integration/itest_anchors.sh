#!/bin/sh
# itest_anchors.sh - audit anchors on real agents (#14): cutting the tail
# off a node's audit log and restarting it no longer goes unnoticed.
#   1. three agents, checkpoints every second: node 1's checkpoints are
#      committed to the cluster log (GET /v1/audit/anchors on node 2
#      lists them), signed by its audit key (DATA/audit.key, mode 0600,
#      not the TLS key; DATA/audit.pub verifies them);
#   2. kill -9 node 1, cut the last lines off its audit.log (to below the
#      anchor): `exogpu audit verify --cluster` reports the truncation,
#      while without the anchor the shortened log still verifies (the
#      documented limit the anchor closes);
#   3. restart node 1: once it has the cluster's anchor it refuses to
#      append (its log stops growing though checkpoints are due every
#      second), raises the audit_anchor alert and says so in its log;
#   4. an untouched node verifies ok against the cluster; kill -9 and a
#      plain restart of node 3 raise no false alarm: it keeps appending
#      and its anchors keep being committed.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq
need curl
setup anchors

anchors() { curl -sf "http://$(api "$1")/v1/audit/anchors"; }
# anchor_seq N OF: node N's view of node OF's committed anchor seq (0: none)
anchor_seq()
{
	anchors "$1" | jq -r --arg n "$(nid "$2")" \
	    '[.anchors[] | select(.node == $n) | .seq] | first // 0'
}
lines() { wc -l <"$DIR/d$1/audit.log"; }
verify() { "$EXOGPU" audit verify "$@"; }

# wait_anchor N OF MIN: until node N sees node OF's anchor at seq >= MIN.
wait_anchor()
{
	_wa_i=0
	until [ "$(anchor_seq "$1" "$2")" -ge "$3" ]; do
		_wa_i=$((_wa_i + 1))
		[ "$_wa_i" -lt 300 ] || fail "node $1 sees no anchor of node $2" \
		    "at seq >= $3: $(anchors "$1")"
		sleep 0.1
	done
}

CK="--audit-checkpoint 1"
# shellcheck disable=SC2086
start 1 $CK
# shellcheck disable=SC2086
start 2 $CK --join "$(quic 1)"
# shellcheck disable=SC2086
start 3 $CK --join "$(quic 1)"
wait_leader "1 2 3" 400 3

# ---- 1. anchors committed, signed by the audit key ------------------------
[ -f "$DIR/d1/audit.key" ] && [ -f "$DIR/d1/audit.pub" ] ||
    fail "no audit key files: $(ls "$DIR/d1")"
mode=$(stat -c %a "$DIR/d1/audit.key")
[ "$mode" = 600 ] || fail "audit.key has mode $mode"
cmp -s "$DIR/d1/audit.key" "$DIR/d1/node.key" &&
    fail "the audit key is the node key"
wait_anchor 2 1 12
line=$(anchors 2 | jq -r --arg n "$(nid 1)" \
    '.anchors[] | select(.node == $n) | .line')
case $line in
*"kind=ckpt"*) ;;
*) fail "the anchor is not a checkpoint line: $line" ;;
esac
grep -qxF "$line" "$DIR/d1/audit.log" ||
    fail "node 1's committed anchor is not a line of its log: $line"
verify "$DIR/d1/audit.log" --key "$DIR/d1/audit.pub" >/dev/null ||
    fail "node 1's log does not verify with audit.pub"
verify "$DIR/d1/audit.log" --key "$DIR/d1/node.pem" >/dev/null 2>&1 &&
    fail "node 1's checkpoints verify with the TLS certificate"
echo "node 1's anchor committed (seq $(anchor_seq 2 1)), signed by the" \
    "audit key"

# ---- 2. kill -9, cut the tail: verify --cluster reports it ---------------
kill -9 "$(pid 1)"
sleep 0.5
N=$(anchor_seq 2 1)
CUT=$((N - 6))
awk -v k="$CUT" '{ split($1, s, "="); if (s[2] + 0 < k) print }' \
    "$DIR/d1/audit.log" >"$DIR/cut" || fail "awk"
cat "$DIR/cut" >"$DIR/d1/audit.log"
K=$(tail -n 1 "$DIR/d1/audit.log" | sed 's/^seq=\([0-9]*\) .*/\1/')
[ "$K" -lt "$N" ] || fail "the cut left seq $K, anchor $N"
verify "$DIR/d1/audit.log" --key "$DIR/d1/audit.pub" >/dev/null ||
    fail "the cut log should still verify without the anchor"
out=$(verify "$DIR/d1/audit.log" --key "$DIR/d1/audit.pub" --cluster \
    --api "$(api 2)" --node "$(nid 1)")
rc=$?
said=$out
[ "$rc" = 1 ] || fail "verify --cluster exit $rc on a cut log: $out"
want="truncated: the log ends at seq $K but the cluster's anchor is at seq $N"
[ "$out" = "$want" ] || fail "verify --cluster said: $out; want: $want"
anchors 2 | jq -r --arg n "$(nid 1)" \
    '.anchors[] | select(.node == $n) | .line' >"$DIR/anchor.txt"
out=$(verify "$DIR/d1/audit.log" --anchor-file "$DIR/anchor.txt")
[ $? = 1 ] && echo "$out" | grep -q "truncated" ||
    fail "verify --anchor-file: $out"
echo "cut to seq $K below anchor $N: verify --cluster says: $said"

# ---- 3. restart: refuses to append, alert, log ---------------------------
rm -f "$DIR/d1/run.json"
# shellcheck disable=SC2086
start 1 $CK --join "$(quic 2)"
i=0
until anchors 1 | jq -e '.refusing != null' >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "node 1 does not refuse: $(anchors 1)"
	sleep 0.1
done
n0=$(lines 1)
sleep 3
n1=$(lines 1)
[ "$n1" = "$n0" ] || fail "node 1 still appends ($n0 -> $n1 lines)"
grep -q "behind this node's anchor" "$DIR/a1.log" ||
    fail "node 1 did not log the refusal"
curl -sf "http://$(api 1)/v1/events?since=0&limit=512" |
    jq -e '.active | any(.rule == "audit_anchor")' >/dev/null ||
    fail "no audit_anchor alert on node 1: $(curl -sf \
    "http://$(api 1)/v1/events?since=0&limit=512" | jq -c .active)"
out=$(verify "$DIR/d1/audit.log" --key "$DIR/d1/audit.pub" --cluster \
    --api "$(api 1)")
[ $? = 1 ] || fail "verify --cluster after the restart: $out"
echo "restarted node 1 refuses to append ($(anchors 1 | jq -r .refusing))," \
    "alert raised; verify: $out"

# ---- 4. untouched nodes: no false alarm ----------------------------------
wait_anchor 2 3 3
out=$(verify "$DIR/d3/audit.log" --key "$DIR/d3/audit.pub" --cluster \
    --api "$(api 2)" --node "$(nid 3)") || fail "node 3 verify: $out"
echo "$out" | grep -q "^anchor: the log holds the cluster's anchor" ||
    fail "node 3 verify: $out"
kill -9 "$(pid 3)"
sleep 0.5
M=$(anchor_seq 2 3)
rm -f "$DIR/d3/run.json"
# shellcheck disable=SC2086
start 3 $CK --join "$(quic 2)"
wait_anchor 2 3 $((M + 3))
anchors 3 | jq -e '.refusing == null' >/dev/null ||
    fail "node 3 refuses after a plain restart: $(anchors 3)"
grep -q "behind this node's anchor" "$DIR/a3.log" &&
    fail "node 3 logged a false refusal"
out=$(verify "$DIR/d3/audit.log" --key "$DIR/d3/audit.pub" --cluster \
    --api "$(api 3)") || fail "node 3 verify after restart: $out"
out=$(verify "$DIR/d2/audit.log" --key "$DIR/d2/audit.pub" --cluster \
    --api "$(api 3)" --node "$(nid 2)") || fail "node 2 verify: $out"
echo "node 3 killed and restarted untouched: anchors go on (seq" \
    "$(anchor_seq 2 3) > $M), no refusal; node 2 verifies: ok"
echo "PASS"
