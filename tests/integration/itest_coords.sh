#!/bin/sh
# itest_coords.sh - network coordinates between real agents: three agents
# on loopback form a cluster, each learns a coordinate from the QUIC RTTs
# to its peers and the coordinates in their records, and publishes it
# (GET /v1/devices, "coordinate").  Every node's coordinate must show up
# on the first node with an error below the starting 1.5 (it took samples)
# and estimate loopback RTTs: each pair's estimate under 5 ms.
# $1: the exogpu binary, $2: the source tree.
set -u
EXOGPU=$1
SRC=$2
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SRC/tests/integration/lib.sh"
need jq curl
setup coords

start 1
start 2 --join "$(quic 1)"
start 3 --join "$(quic 1)"
wait_leader "1 2 3" 300 3
t0=$(now)
i=0
until curl -sf "http://$(api 1)/v1/devices" | jq -e '
    .nodes | length == 3 and
    all(.coordinate != null and .coordinate.error < 1.5)' >/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "coordinates never learned: \
$(curl -s "http://$(api 1)/v1/devices" | jq -c '[.nodes[].coordinate]')"
	sleep 0.2
done
echo "every node has a coordinate with samples after $(elapsed "$t0") s"
# Estimated RTT of every pair in us (net_vivaldi.h's formula), in node id
# order, and the measured ones (GET /v1/links, smoothed QUIC RTT).
estimates()
{
	curl -sf "http://$(api 1)/v1/devices" | jq -r '
	    [.nodes | sort_by(.node_id)[] | .coordinate] as $c
	    | [range(0; 3) as $a | range($a + 1; 3) as $b
	       | ($c[$a]) as $x | ($c[$b]) as $y
	       | ([range(0; 8) | ($x.vec_s[.] - $y.vec_s[.]) | . * .]
		 | add | sqrt) + $x.height_s + $y.height_s
	       | . as $raw | ($raw + $x.adjustment_s + $y.adjustment_s)
	       | if . > 0 then . else $raw end]
	    | map(. * 1e6 | floor) | join(" ")'
}
measured()
{
	curl -sf "http://$(api 1)/v1/links" | jq -r '
	    [.links | sort_by(.a, .b)[] | .rtt_s * 1e6 | floor] | join(" ")'
}
# Loopback RTTs are well under a millisecond; early samples (handshake,
# start-up probes) can be several.  Within 30 s every estimate must be
# under 5 ms.
i=0
while :; do
	est=$(estimates)
	ok=1
	for e in $est; do
		[ "$e" -lt 5000 ] || ok=0
	done
	[ "$ok" = 1 ] && [ -n "$est" ] && break
	i=$((i + 1))
	[ "$i" -lt 150 ] || fail "estimates $est us between loopback agents"
	sleep 0.2
done
echo "estimated RTTs (us): $est; measured: $(measured)"
sleep 10
echo "10 s later: estimated $(estimates); measured $(measured)"
echo PASS
