#!/bin/sh
# itest_mdns_lab.sh - mDNS discovery (discovery/disc_mdns.c) across three
# network-namespace "hosts", each with its own D-Bus and avahi-daemon
# (tests/discovery/mdns_lab.sh builds the lab).
#
# Each node runs tests/discovery/disc_probe, which publishes a made-up
# node id with disc_mdns and prints found/lost/status lines.  Checked:
#   1. node 3's probe starts before its D-Bus and avahi-daemon exist: it
#      says "waiting" once, keeps running, and goes "running" when they
#      appear;
#   2. every node finds each other node exactly once per address family
#      and never itself; link-local IPv6 addresses carry a scope id;
#   3. `avahi-browse -rpt _exo-gpu._tcp` (Avahi's own client) sees our
#      services with the documented TXT keys;
#   4. node 2's avahi-daemon is stopped and restarted: node 2's probe
#      reconnects and re-registers, the others see it lost and found
#      again;
#   5. a second service on node 3 takes node 1's instance name: one of
#      the two is renamed ("exo-node1 #2"; normally the newcomer, node 1
#      if its daemon answers late) and nodes 1 and 2 find the newcomer at
#      its own address under its final name;
#   6. a second instance with node 2's id and port is folded into the
#      peer already known (no second found, no lost when it goes);
#   7. a flood of 25 services with unusable TXT records is rejected, a
#      probe with a 3-service table stays at 3 and rate-limits its log;
#   8. node 1's daemon is stopped while a newcomer takes the name of a
#      probe there: that probe renames itself and still finds the
#      newcomer, and node 2 finds the newcomer at its own address (not the
#      holder's, which Avahi's resolver keeps) and keeps the holder.
# Exit 77 (skip) without root or the tools; 1 on any failed check.
# MDNS_PROBE_WRAP="valgrind -q --leak-check=full --error-exitcode=9" runs
# every probe under that command (a probe's non-zero exit fails the test).
# Usage: itest_mdns_lab.sh EXOGPU_BINARY SOURCE_DIR
set -u

EXOGPU=${1:?usage: itest_mdns_lab.sh EXOGPU_BINARY SOURCE_DIR}
SRC=${2:?usage: itest_mdns_lab.sh EXOGPU_BINARY SOURCE_DIR}
PROBE=${MDNS_PROBE:-$(dirname "$EXOGPU")/tests/disc_probe}
WRAP=${MDNS_PROBE_WRAP:-}
MLAB_LIB="$SRC/tests/discovery/mdns_lab.sh"
. "$MLAB_LIB"

if ! why=$(mlab_check); then
	echo "itest_mdns_lab: SKIP: $why"
	exit 77
fi
if [ ! -x "$PROBE" ]; then
	echo "itest_mdns_lab: FAIL: no probe program at $PROBE"
	exit 1
fi

FAILS=0
T0=$(date +%s)

fail()
{
	echo "itest_mdns_lab: FAIL: $*"
	FAILS=$((FAILS + 1))
}

pass()
{
	echo "itest_mdns_lab: ok: $*"
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s.
wait_until()
{
	_lim=$(($1 * 10))
	shift
	_k=0
	while ! "$@"; do
		[ $_k -lt $_lim ] || return 1
		sleep 0.1
		_k=$((_k + 1))
	done
	return 0
}

id_of()
{
	echo "lab$$node$1"
}

out_of()
{
	echo "$MLAB_DIR/probe$1.out"
}

# count FILE KIND ID FAMILY: number of "KIND ID FAMILY ..." lines.
count()
{
	grep -c "^$2 $3 $4 " "$1" 2>/dev/null
}

# has_peers N: node N's probe has found every other node in both families.
has_peers()
{
	for _o in 1 2 3; do
		[ "$_o" = "$1" ] && continue
		for _f in 4 6; do
			[ "$(count "$(out_of "$1")" found "$(id_of "$_o")" \
			    "$_f")" -ge 1 ] || return 1
		done
	done
}

status_has()
{
	grep '^status ' "$1" 2>/dev/null | tail -n 1 | grep -q "$2"
}

start_probe()
{
	_n=$1
	shift
	mlab_spawn "$_n" "$(out_of "$_n")" $WRAP "$PROBE" --id "$(id_of "$_n")" \
	    --port "4747$_n" --name "exo-node$_n" "$@"
	eval "PROBE_$_n=$MLAB_LAST_PID"
}

mlab_init
mlab_add_node 1
mlab_add_node 2
mlab_add_node 3 ll	# IPv6 link-local only: peers need the scope id

# --- 1. no daemon yet on node 3 ------------------------------------------
# (mlab_spawn points it at node 3's bus socket, which does not exist yet.)
start_probe 3
if wait_until 10 status_has "$(out_of 3)" "^status waiting " && sleep 1 &&
    mlab_alive "$PROBE_3" && status_has "$(out_of 3)" "^status waiting "; then
	pass "node 3 waits without D-Bus and keeps running"
else
	fail "node 3 without D-Bus: $(cat "$(out_of 3)")"
fi
for n in 1 2 3; do
	mlab_dbus_start "$n"
	mlab_avahi_start "$n"
done
start_probe 1
start_probe 2 --trust ca --version 7

# --- 2. everyone finds everyone once per family ---------------------------
for n in 1 2 3; do
	if ! wait_until 20 has_peers "$n"; then
		fail "node $n did not find both peers in both families:"
		cat "$(out_of "$n")"
	fi
done
if wait_until 5 status_has "$(out_of 3)" "^status running "; then
	pass "node 3 picked mDNS up when its daemon appeared"
else
	fail "node 3 never reached running"
fi
sleep 2		# let late duplicates arrive: they must not be reported
for n in 1 2 3; do
	o=$(out_of "$n")
	if grep -q "^found $(id_of "$n") " "$o"; then
		fail "node $n reported itself"
	fi
	for p in 1 2 3; do
		[ "$p" = "$n" ] && continue
		for f in 4 6; do
			c=$(count "$o" found "$(id_of "$p")" "$f")
			[ "$c" = 1 ] || fail "node $n found node $p IPv$f $c times"
		done
	done
	if grep -q '^lost ' "$o"; then
		fail "node $n lost a peer in a stable lab"
	fi
	# Link-local IPv6 needs the scope id (field 7) = interface (field 6).
	if awk '$1 == "found" && $3 == 6 && $4 ~ /^fe80:/ && $7 != $6 {
	    bad = 1 } END { exit !bad }' "$o"; then
		fail "node $n: link-local address without scope id"
	fi
	if [ "$n" != 3 ] && ! grep -q "^found $(id_of 3) 6 fe80:[0-9a-f:]* 47473 [1-9][0-9]* [1-9]" "$o"; then
		fail "node $n: node 3's link-local address not found with a scope id"
	fi
	if ! grep -q "^found $(id_of 2) 4 $MLAB_NET4.2 47472 .* v=7 trust=ca name=exo-node2$" "$o" &&
	    [ "$n" != 2 ]; then
		fail "node $n: node 2's address, port or TXT wrong"
	fi
done
[ $FAILS = 0 ] && pass "each node found the other two once per family"

# --- 3. interop with Avahi's own browser ----------------------------------
b=$(mlab_exec 1 avahi-browse -rpt _exo-gpu._tcp 2>&1)
for p in 2 3; do
	line=$(echo "$b" | grep "^=;eth0;IPv4;exo-node$p;_exo-gpu\._tcp;" |
	    head -n 1)
	if [ -z "$line" ]; then
		fail "avahi-browse in node 1 does not see exo-node$p: $b"
		continue
	fi
	for kv in "\"id=$(id_of "$p")\"" '"v=' '"trust=' "\"name=exo-node$p\"" \
	    '"txtvers=1"' ";4747$p;"; do
		case $line in
		*"$kv"*) ;;
		*) fail "avahi-browse: exo-node$p lacks $kv: $line" ;;
		esac
	done
done
[ $FAILS = 0 ] && pass "avahi-browse sees our services and TXT keys"

# --- 4. node 2's daemon restarts ------------------------------------------
before1=$(count "$(out_of 1)" found "$(id_of 2)" 4)
mlab_avahi_stop 2
lost_2()
{
	[ "$(count "$(out_of 1)" lost "$(id_of 2)" 4)" -ge 1 ] &&
	    [ "$(count "$(out_of 3)" lost "$(id_of 2)" 4)" -ge 1 ]
}
wait_until 10 lost_2 || fail "nodes 1 and 3 did not see node 2 go"
wait_until 5 status_has "$(out_of 2)" "^status waiting " ||
    fail "node 2 did not notice its daemon went away"
mlab_alive "$PROBE_2" || fail "node 2's probe died with its daemon"
mlab_avahi_start 2
back_2()
{
	for _n in 1 3; do
		for _f in 4 6; do
			[ "$(count "$(out_of "$_n")" found "$(id_of 2)" \
			    "$_f")" -ge 2 ] || return 1
		done
	done
	# Node 2 itself re-finds the others after its restart.
	for _p in 1 3; do
		[ "$(count "$(out_of 2)" found "$(id_of "$_p")" 4)" -ge 2 ] ||
		    return 1
	done
}
if wait_until 20 back_2 && wait_until 5 status_has "$(out_of 2)" \
    "^status running published=1 .*restarts=1 "; then
	pass "node 2 re-registered after its daemon restarted ($before1 -> 2 finds)"
else
	fail "node 2 not re-found after restart:"
	cat "$(out_of 1)" "$(out_of 2)"
fi

# --- 5. name collision ----------------------------------------------------
# Which side gives the name up depends on whether node 1's daemon defends
# it during the newcomer's probing (about 0.75 s): normally the newcomer
# is renamed; a holder whose daemon answers late (a loaded host) loses it
# instead (section 8 makes that happen on purpose).  Either way the two
# end with distinct names, and node 1 and node 2 find node 4 at node 3's
# address under its final name.
O4="$MLAB_DIR/probe4.out"
mlab_spawn 3 "$O4" $WRAP "$PROBE" --id "$(id_of 4)" --port 47474 \
    --name exo-node1
PROBE_4=$MLAB_LAST_PID
named()		# named FILE NAME RENAMES: published under NAME
{
	status_has "$1" "^status running published=1 name=\"$2\" .*renames=$3 "
}
split()
{
	{ named "$O4" "exo-node1 #2" 1 && named "$(out_of 1)" exo-node1 0; } ||
	    { named "$O4" exo-node1 0 && named "$(out_of 1)" "exo-node1 #2" 1; }
}
found_4()
{
	_nm=$(grep '^status ' "$O4" | tail -n 1 | sed 's/.* name="\([^"]*\)".*/\1/')
	grep -q "^found $(id_of 4) 4 $MLAB_NET4.3 47474 .* \"$_nm\" " \
	    "$(out_of 1)" &&
	    grep -q "^found $(id_of 4) 4 $MLAB_NET4.3 47474 .* \"$_nm\" " \
	    "$(out_of 2)"
}
if wait_until 15 split && wait_until 10 found_4; then
	if named "$O4" "exo-node1 #2" 1; then
		pass "collision on \"exo-node1\": the newcomer is now \"exo-node1 #2\""
	else
		pass "collision on \"exo-node1\": node 1 (answering late) is now \"exo-node1 #2\""
	fi
else
	fail "collision not resolved:"
	cat "$O4" "$(out_of 1)"
fi

# --- 6. one node, two instances: still one peer per address -------------
# A second service on node 2 with node 2's id and port (an agent whose
# old instance lingers) must not be reported again, and its removal must
# not report node 2 lost: the address is reference-counted.
f2=$(count "$(out_of 1)" found "$(id_of 2)" 4)
l2=$(count "$(out_of 1)" lost "$(id_of 2)" 4)
mlab_spawn 2 "$MLAB_DIR/probe5.out" $WRAP "$PROBE" --id "$(id_of 2)" \
    --port 47472 --name exo-node2-b --trust ca --version 7
PROBE_5=$MLAB_LAST_PID
if wait_until 10 status_has "$(out_of 1)" ' peers=6 services=8 '; then
	mlab_stop "$PROBE_5"
	RC5=$?
	wait_until 10 status_has "$(out_of 1)" ' peers=6 services=6 ' ||
	    fail "node 1 did not drop the second instance"
	[ "$(count "$(out_of 1)" found "$(id_of 2)" 4)" = "$f2" ] &&
	    [ "$(count "$(out_of 1)" lost "$(id_of 2)" 4)" = "$l2" ] &&
	    pass "a second instance of node 2 is folded into the same peer" ||
	    fail "a second instance of node 2 was reported as a new peer"
else
	fail "node 1 did not track the second instance of node 2:"
	tail -n 3 "$(out_of 1)"
fi

# --- 7. floods stay bounded ------------------------------------------------
# A probe on node 1 limited to 3 services fills its table with real
# peers.  Then node 2 floods the LAN with 25 services whose TXT records
# are unusable (no id=), from Avahi's own avahi-publish: 50 browse results
# (2 protocols).  Node 1's normal probe rejects all 50; the limited probe
# stays at 3 services, counts every one it drops, and logs at most 20
# lines about them (the per-peer rate limit).
mlab_spawn 1 "$MLAB_DIR/probe6.out" $WRAP "$PROBE" --id "$(id_of 6)" \
    --port 47476 --max 3
PROBE_6=$MLAB_LAST_PID
wait_until 15 status_has "$MLAB_DIR/probe6.out" ' services=3 ' ||
    fail "probe 6 did not fill its table"
i=0
while [ $i -lt 25 ]; do
	mlab_spawn 2 "$MLAB_DIR/pub$i.out" avahi-publish -s "junk$i" \
	    _exo-gpu._tcp 4000 "v=1" "note=no id here"
	i=$((i + 1))
done
if wait_until 20 status_has "$(out_of 1)" ' rejected=50$'; then
	pass "50 records without id= rejected"
else
	fail "node 1 did not reject the junk records:"
	tail -n 2 "$(out_of 1)"
fi
if wait_until 10 status_has "$MLAB_DIR/probe6.out" \
    ' services=3 .*dropped=[5-9][0-9] '; then
	n=$(grep -c 'services tracked, ignoring' "$MLAB_DIR/probe6.out")
	if [ "$n" -ge 1 ] && [ "$n" -le 20 ]; then
		pass "a 3-service table stayed at 3; $n log lines for the drops"
	else
		fail "$n log lines for the dropped services (limit 20)"
	fi
else
	fail "bounded table: $(grep '^status' "$MLAB_DIR/probe6.out" |
	    tail -n 1)"
fi
grep -q '^found .*junk' "$(out_of 1)" && fail "a junk record was reported"
mlab_stop "$PROBE_6" || fail "probe 6 exited with an error"

# --- 8. a holder that defends its name too late ---------------------------
# Node 1's daemon is stopped while a newcomer on node 3 probes for the name
# of node 1's probe 8, so the newcomer takes it; when the daemon resumes,
# probe 8 must rename itself and then still find the newcomer.  Avahi's
# browser reports nothing new for that name (it listed it already, as
# ours): disc_mdns resolves it again after the rename.
O8="$MLAB_DIR/probe8.out"
O9="$MLAB_DIR/probe9.out"
mlab_spawn 1 "$O8" $WRAP "$PROBE" --id "$(id_of 8)" --port 47478 \
    --name exo-held
PROBE_8=$MLAB_LAST_PID
held()
{
	named "$O8" exo-held 0 &&
	    grep -q "^found $(id_of 8) 4 $MLAB_NET4.1 47478 " "$(out_of 2)"
}
wait_until 15 held || fail "probe 8 not published as exo-held"
eval "AV1=\$MLAB_AVAHI_1"
kill -STOP "$AV1"
mlab_spawn 3 "$O9" $WRAP "$PROBE" --id "$(id_of 9)" --port 47479 \
    --name exo-held
PROBE_9=$MLAB_LAST_PID
wait_until 10 named "$O9" exo-held 0 || fail "probe 9 not published"
kill -CONT "$AV1"
took()
{
	named "$O8" "exo-held #2" 1 &&
	    grep -q "^found $(id_of 9) 4 $MLAB_NET4.3 47479 .* \"exo-held\" " "$O8"
}
if wait_until 20 took; then
	pass "a holder that answered late renamed itself and found the newcomer"
else
	fail "late holder: renamed or the newcomer not found:"
	cat "$O8"
fi
seen_2()
{
	grep -q "^found $(id_of 9) 4 $MLAB_NET4.3 47479 .* \"exo-held\" " \
	    "$(out_of 2)" &&
	    [ $(($(grep -c "^found $(id_of 8) 4 $MLAB_NET4.1 47478 " \
	    "$(out_of 2)") - $(grep -c "^lost $(id_of 8) 4 $MLAB_NET4.1 47478 " \
	    "$(out_of 2)"))) = 1 ]
}
if wait_until 15 seen_2; then
	pass "node 2 found the newcomer at its address and kept the holder"
else
	fail "node 2 lost the holder or did not find the newcomer:"
	grep "exo-held" "$(out_of 2)"
fi
for p in "$PROBE_8" "$PROBE_9"; do
	mlab_stop "$p" || fail "probe $p exited with an error"
done

# --- clean exit -----------------------------------------------------------
for n in 1 2 3 4; do
	eval "p=\$PROBE_$n"
	mlab_stop "$p"
	rc=$?
	[ $rc = 0 ] || fail "probe $n exited with $rc"
done
if [ -z "${RC5:-}" ]; then
	mlab_stop "$PROBE_5"
	RC5=$?
fi
[ "$RC5" = 0 ] || fail "probe 5 exited with $RC5"
for n in 1 2 3 4 5; do
	o=$MLAB_DIR/probe$n.out
	grep -qx exit "$o" || fail "probe $n did not exit cleanly"
done

echo "itest_mdns_lab: $FAILS failure(s) in $(($(date +%s) - T0)) s"
if [ $FAILS != 0 ]; then
	for n in 1 2 3 4 5; do
		echo "---- probe $n"
		cat "$MLAB_DIR/probe$n.out" 2>/dev/null
	done
	for f in "$MLAB_DIR"/n*/avahi.log.*; do
		echo "---- $f"
		tail -n 20 "$f"
	done
	exit 1
fi
exit 0
