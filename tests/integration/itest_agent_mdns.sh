#!/bin/sh
# itest_agent_mdns.sh - zero configuration end to end: three `exogpu agent`
# processes, each in its own network namespace with its own D-Bus and
# avahi-daemon (tests/discovery/mdns_lab.sh, the DESIGN.md recipe), are
# given nothing but one join secret - no --join - and must find each other
# through mDNS and hold authenticated QUIC sessions to both others.  A
# fourth node with another secret is found through mDNS too, but must never
# become anyone's connected peer.
#
# $1: the exogpu binary, $2: the source tree.  Root only; exit 77 (skip)
# otherwise or when the lab's tools are missing.
set -u
EXOGPU=$1
SRC=$2
. "$SRC/tests/discovery/mdns_lab.sh"
if ! why=$(mlab_check); then
	echo "SKIP: $why"
	exit 77
fi
mlab_init

SECRET=$("$EXOGPU" secret) || exit 1
OTHER=$("$EXOGPU" secret) || exit 1
# The agents read their secret from a 0600 file, never from argv.
(umask 077 && echo "$SECRET" >"$MLAB_DIR/secret" &&
    echo "$OTHER" >"$MLAB_DIR/other") || exit 1
for n in 1 2 3 4; do
	mlab_add_node "$n"
	mlab_dbus_start "$n"
	mlab_avahi_start "$n"
done
for n in 1 2 3 4; do
	s=$MLAB_DIR/secret
	[ "$n" = 4 ] && s=$MLAB_DIR/other
	mlab_spawn "$n" "$MLAB_DIR/agent$n.log" "$EXOGPU" -v agent \
	    --data-dir "$MLAB_DIR/data$n" --name "node$n" --join-secret-file "$s" --no-bench \
	    --probe-interval 0
done

connected()
{
	mlab_exec "$1" "$EXOGPU" peers --json 2>/dev/null |
	    grep -c '"connected": true'
}

fail()
{
	echo "FAIL: $*"
	for n in 1 2 3 4; do
		echo "--- agent $n"
		tail -n 25 "$MLAB_DIR/agent$n.log"
	done
	exit 1
}

start=$(date +%s)
deadline=$((start + 45))
while :; do
	ok=1
	for n in 1 2 3; do
		[ "$(connected "$n")" = 2 ] || ok=0
	done
	[ "$ok" = 1 ] && break
	[ "$(date +%s)" -ge "$deadline" ] && fail "nodes 1-3 did not all connect"
	sleep 0.5
done
echo "nodes 1-3 connected to each other through mDNS in" \
    "$(( $(date +%s) - start )) s"
# The outsider was discovered but refused by everyone.
grep -q "mdns: found" "$MLAB_DIR/agent4.log" ||
    fail "node 4 did not discover anyone"
[ "$(connected 4)" = 0 ] || fail "node 4 (other secret) got a peer"
for n in 1 2 3; do
	[ "$(connected "$n")" = 2 ] || fail "node $n gained or lost a peer"
done
echo "PASS: zero-config cluster of 3 over mDNS; the outsider was refused"
exit 0
