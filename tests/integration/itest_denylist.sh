#!/bin/sh
# itest_denylist.sh - the node deny list (`exogpu cert revoke`) on three
# real agents in CA mode, enforcing tokens:
#   1. a read-only token cannot deny (403); bad bodies are 400;
#   2. `cert revoke` of node 3 (by its certificate file) through node 1:
#      nodes 1 and 2 close their sessions to it within a few seconds and
#      stop calling it a live member; `cert denied` lists it on both;
#   3. kill -9 of nodes 1 and 2, restart: the list survived, node 1
#      (which dials node 3's address) refuses it at the handshake;
#   4. `cert allow` through node 2 lets it back in.
# Throughout, the raft configuration drops node 3 and takes it back.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq curl
setup denylist
SECRET=			# CA mode: no join secret
FAIL_TAIL=30

"$EXOGPU" cert init --dir "$DIR/ca" >/dev/null 2>&1 || fail "cert init"
for n in 1 2 3; do
	"$EXOGPU" cert issue --ca "$DIR/ca" --name "node$n" --out "$DIR/t$n" \
	    >/dev/null 2>&1 || fail "cert issue $n"
done
keygen
tok --sub ops --scope admin,read --out "$DIR/ops" || fail "issue ops"
tok --sub viewer --scope read --out "$DIR/viewer" || fail "issue viewer"
EXOGPU_TOKEN=$DIR/ops
export EXOGPU_TOKEN

agent()
{
	_ag_n=$1
	shift
	rm -f "$DIR/d$_ag_n/run.json"
	start "$_ag_n" --ca "$DIR/t$_ag_n" --token-keys "$DIR/keys/token.pub" \
	    "$@"
}
peer_up() { "$EXOGPU" peers --json --api "$(api "$1")" 2>/dev/null |
    jq -e --arg id "$2" 'any(.[]; .node_id == $id and .connected)' \
    >/dev/null; }
alive_on() { "$EXOGPU" members --json --api "$(api "$1")" 2>/dev/null |
    jq -e --arg id "$2" 'any(.[]; .node_id == $id and .state == "alive")' \
    >/dev/null; }
st() { "$EXOGPU" status --json --api "$(api "$1")" 2>/dev/null; }
servers() { st "$1" | jq -e ".servers == $2" >/dev/null; }
denied_on() { "$EXOGPU" cert denied --json --api "$(api "$1")" 2>/dev/null |
    jq -e --arg id "$2" 'any(.denied[]; .node == $id)' >/dev/null; }
post()
{
	_po_auth="Authorization: Bearer $(cat "$DIR/ops")"
	curl -s -o /dev/null -w '%{http_code}' -H "$_po_auth" \
	    -H 'Content-Type: application/json' --data "$2" \
	    "http://$(api "$1")$3"
}

agent 1
agent 2 --join "$(quic 1)"
agent 3 --join "$(quic 1)"
wait_leader "1 2 3" 300 3
C=$(nid 3)
[ "$("$EXOGPU" cert id "$DIR/t3/node.pem")" = "$C" ] || fail "cert id"
i=0
until peer_up 1 "$C" && peer_up 2 "$C"; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "node 3 never connected to 1 and 2"
	sleep 0.1
done
echo "three CA-mode agents, leader $L; node 3 is $C"

# ---- 1. who may deny, and what ------------------------------------------
out=$("$EXOGPU" cert revoke "$C" --token "$DIR/viewer" --api "$(api 1)" \
    2>&1) && fail "a read-only token denied a node"
echo "$out" | grep -q "403" || fail "read-only token: $out"
"$EXOGPU" cert denied --token "$DIR/viewer" --api "$(api 1)" |
    grep -q "no node is denied" || fail "cert denied with a read token"
[ "$(post 1 'not json' /v1/nodes/deny)" = 400 ] || fail "not JSON: not 400"
[ "$(post 1 '{"node":"abc"}' /v1/nodes/deny)" = 400 ] ||
    fail "bad node id: not 400"
long=$(awk 'BEGIN { while (i++ < 513) printf "x" }')
[ "$(post 1 "{\"node\":\"$C\",\"note\":\"$long\"}" /v1/nodes/deny)" = 400 ] ||
    fail "a 513-byte note: not 400"
[ "$(post 1 "{\"node\":\"$C\"}" /v1/nodes/allow)" = 404 ] ||
    fail "allow of a node not denied: not 404"
out=$("$EXOGPU" cert revoke nonsense --api "$(api 1)" 2>&1)
[ $? = 2 ] || fail "cert revoke of a bad NODE: $out"
peer_up 1 "$C" || fail "a refused call cut node 3 off"
echo "a read token: 403; bad bodies: 400; allow of no denial: 404"

# ---- 2. revoke: sessions closed, no longer a member ----------------------
t0=$(now)
out=$("$EXOGPU" cert revoke "$DIR/t3/node.pem" --note "key stolen" \
    --api "$(api 1)" 2>&1) || fail "cert revoke: $out"
echo "$out" | grep -q "denied $C" || fail "cert revoke said: $out"
i=0
while peer_up 1 "$C" || peer_up 2 "$C"; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || fail "node 3 still connected 5 s after its denial"
	sleep 0.1
done
echo "node 3's sessions closed on 1 and 2 after $(elapsed "$t0") s"
i=0
while alive_on 1 "$C" || alive_on 2 "$C"; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "node 3 still alive in membership after 10 s"
	sleep 0.1
done
sleep 2
peer_up 1 "$C" || peer_up 2 "$C" || alive_on 1 "$C" || alive_on 2 "$C" &&
    fail "node 3 came back while denied"
for n in 1 2; do
	denied_on "$n" "$C" || fail "node $n does not list node 3 as denied"
	grep -q "event node_denied $C" "$DIR/a$n.log" ||
	    fail "node $n did not log the denial"
	[ "$(grep -c "event node_denied $C" "$DIR/a$n.log")" = 1 ] ||
	    fail "node $n logged the denial more than once"
done
"$EXOGPU" cert denied --api "$(api 2)" | grep -q "$C .*key stolen" ||
    fail "cert denied: $("$EXOGPU" cert denied --api "$(api 2)")"
i=0
until servers 1 2 && servers 2 2; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "node 3 still in the raft configuration:" \
	    "$(st 1)"
	sleep 0.1
done
echo "node 3 is no live member of 1 and 2, no raft server, and is listed" \
    "denied on both"

# ---- 3. kill -9 of 1 and 2: the list survives, node 3 refused ------------
kill -9 "$(pid 1)" "$(pid 2)"
sleep 0.5
Q3=$(quic 3)
agent 1 --join "$Q3"
agent 2 --join "$(quic 1)"
wait_leader "1 2" 300
for n in 1 2; do
	i=0
	until denied_on "$n" "$C"; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || fail "node $n lost the deny list"
		sleep 0.1
	done
done
i=0
until grep -q "refused node $C at the handshake" "$DIR/a1.log"; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "restarted node 1 did not refuse node 3"
	sleep 0.1
done
sleep 2
alive_on 1 "$C" || alive_on 2 "$C" || peer_up 1 "$C" &&
    fail "node 3 is back after the restart"
echo "after kill -9 and restart: denied on both, node 1 refused node 3 at" \
    "the handshake"

# ---- 4. allow: back in ------------------------------------------------------
out=$("$EXOGPU" cert allow "$C" --api "$(api 2)" 2>&1) ||
    fail "cert allow: $out"
i=0
until alive_on 1 "$C" && alive_on 2 "$C"; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "node 3 not back 30 s after cert allow"
	sleep 0.1
done
"$EXOGPU" cert denied --api "$(api 1)" | grep -q "no node is denied" ||
    fail "still listed after cert allow"
i=0
until servers 1 3; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "node 3 not back in the raft configuration"
	sleep 0.1
done
echo "cert allow: node 3 is a live member of 1 and 2 and a raft server again"
echo "PASS"
