# lib.sh - the prologue and helpers the loopback integration tests share
# (itest_place*.sh, itest_tenants.sh, itest_metrics.sh, itest_dashboard.sh,
# itest_alerts.sh, itest_api_abuse.sh): a temp dir that goes away with
# every agent started in it, agents on 127.0.0.1 with a join secret and
# --no-mdns, leader and placement waits.  Sourced, never run; POSIX sh
# (ctest runs the tests with sh, which is dash on Debian), so no `local`:
# helpers name their own variables _xx_*.  What differs between tests is
# passed as arguments (extra agent flags, fixture roots) or set in the
# few variables below; every check and message stays in the test.
#
# A test does:
#	set -u
#	EXOGPU=$1
#	SRC=$2
#	# shellcheck source-path=SCRIPTDIR source=lib.sh
#	. "$SRC/tests/integration/lib.sh"
#	need jq			# skip checks first: nothing to clean yet
#	setup place		# DIR=/tmp/exogpu-place.XXXXXX, SECRET
#	start 1
#	start 2 --join "$(quic 1)"
#
# Variables the test sets: EXOGPU (the binary), SRC (the source tree, for
# fixture_root), before sourcing.  After sourcing it may change:
#	AGENT_NAME	agent N is named $AGENT_NAME$N (default n)
#	AGENT_V		flags before `agent` (default -v; empty: quieter logs)
#	AGENT_ARGS	options every agent gets (default none)
#	AGENT_FDS	descriptor limit (ulimit -n) for agents started while
#			it is set (default empty: inherited)
#	FAIL_LOGS	patterns under $DIR that fail prints (default a*.log)
#	FAIL_TAIL	how many lines of each (default 20)
#	KEEP		(environment) when set, the temp dir is kept
# Variables the library sets: DIR, PIDS, SECRET (setup), LEADER
# and L (wait_leader), out (retry_place), HOST and H (laptops).
#
# Functions:
#	skip MSG...	print "SKIP: MSG" and exit 77
#	need CMD...	skip ("SKIP: CMD not installed") unless every CMD is
#			on PATH
#	setup NAME	make DIR (${TMPDIR:-/tmp}/exogpu-NAME.XXXXXX), empty
#			PIDS, install the cleanup traps, make SECRET
#	cleanup		stop_all, then remove DIR unless KEEP is set (EXIT
#			trap; INT and TERM exit through it)
#	stop_all	TERM every process in PIDS, wait for them, empty PIDS
#	fail MSG...	print "FAIL: MSG" and the last FAIL_TAIL lines of each
#			$DIR/$FAIL_LOGS file, exit 1
#	now		wall clock in seconds, with fractions
#	elapsed T0	seconds since T0 (from now), two decimals
#	api N, pid N, nid N, quic N
#			agent N's API address, process id, node id and first
#			QUIC address, from $DIR/dN/run.json
#	node_of ID N...	print the N whose node id is ID (returns 1 if none)
#	fixture_root N [FIXTURE]
#			a writable copy of $SRC/tests/fixtures/sysfs/FIXTURE
#			(intel-laptop) as $DIR/rootN, for --sysfs-root
#	start N [ARG...]
#			launch agent N in the background (data dir $DIR/dN,
#			log $DIR/aN.log, loopback QUIC and HTTP on port 0,
#			--no-mdns, the join secret $SECRET in the
#			environment (never argv), then ARG...), add
#			its pid to PIDS, wait (10 s) for its run.json
#	wait_leader "N..." [TRIES [ALIVE]]
#			poll `exogpu status` every 0.1 s (TRIES times, 300)
#			until nodes N... all name the same leader (and the
#			first counts ALIVE alive members); sets LEADER and L
#			(its N); fails "no agreed leader" ("no leader" for
#			one node)
#	retry_place TRIES ARG...
#			`exogpu place ARG...` every 0.5 s until it succeeds
#			(devices are measured in the background first); the
#			last answer in out; returns 1 after TRIES tries, or
#			at once on a refusal that names a quota
#	wait_replanned N HOST TRIES
#			poll node N's placement list every 0.1 s until
#			placement 1 is at epoch 2 or later with no stage on
#			node id HOST; returns 1 after TRIES polls
#	laptops		agents 1 and 2 as laptop1 and laptop2, each on its
#			own fixture_root, and llama-3-8b:q4_0 placed through
#			agent 1 (retry_place 160); sets out, HOST (the node
#			id holding stage 0) and H (its N); returns 1 if the
#			placement never succeeds
#	keygen		an operator key pair in $DIR/keys (token.key/.pub)
#	tok ARG...	`exogpu token issue ARG...` signed with that key,
#			valid 1 h

AGENT_NAME=n
AGENT_V=-v
AGENT_ARGS=
AGENT_FDS=
FAIL_LOGS='a*.log'
FAIL_TAIL=20

skip()
{
	echo "SKIP: $*"
	exit 77
}

need()
{
	for _nd_c in "$@"; do
		command -v "$_nd_c" >/dev/null || skip "$_nd_c not installed"
	done
}

setup()
{
	DIR=$(mktemp -d "${TMPDIR:-/tmp}/exogpu-$1.XXXXXX") || exit 1
	PIDS=
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	SECRET=$("$EXOGPU" secret) || exit 1
}

stop_all()
{
	for _sa_p in $PIDS; do
		kill "$_sa_p" 2>/dev/null
	done
	wait 2>/dev/null
	PIDS=
}

cleanup()
{
	stop_all
	if [ -n "${KEEP:-}" ]; then
		echo "kept $DIR"
	else
		rm -rf "$DIR"
	fi
}

fail()
{
	echo "FAIL: $*"
	# The patterns are globbed under $DIR only, not in the working dir.
	set -f
	# shellcheck disable=SC2086
	set -- $FAIL_LOGS
	set +f
	for _fl_g in "$@"; do
		for _fl_f in "$DIR"/$_fl_g; do
			[ -f "$_fl_f" ] || continue
			echo "--- $_fl_f"
			tail -n "$FAIL_TAIL" "$_fl_f"
		done
	done
	exit 1
}

now() { date +%s.%N; }
elapsed() { awk "BEGIN { printf \"%.2f\", $(now) - $1 }"; }
api() { jq -r .api "$DIR/d$1/run.json"; }
pid() { jq -r .pid "$DIR/d$1/run.json"; }
nid() { jq -r .node_id "$DIR/d$1/run.json"; }
quic() { jq -r '.quic[0]' "$DIR/d$1/run.json"; }

node_of()
{
	_no_id=$1
	shift
	for _no_n in "$@"; do
		if [ "$(nid "$_no_n")" = "$_no_id" ]; then
			echo "$_no_n"
			return 0
		fi
	done
	return 1
}

fixture_root()
{
	cp -r "$SRC/tests/fixtures/sysfs/${2:-intel-laptop}" "$DIR/root$1" ||
	    exit 1
}

start()
{
	_st_n=$1
	shift
	# A subshell so that a descriptor limit stays with this agent; exec
	# keeps $! the agent's own pid.
	(
		# shellcheck disable=SC3045	# dash and bash have ulimit -n
		[ -z "$AGENT_FDS" ] || ulimit -n "$AGENT_FDS" || exit 1
		EXOGPU_JOIN_SECRET=$SECRET
		export EXOGPU_JOIN_SECRET
		# shellcheck disable=SC2086
		exec "$EXOGPU" $AGENT_V agent --data-dir "$DIR/d$_st_n" \
		    --name "$AGENT_NAME$_st_n" --listen 127.0.0.1:0 \
		    --http 127.0.0.1:0 --no-mdns $AGENT_ARGS "$@"
	) >"$DIR/a$_st_n.log" 2>&1 &
	PIDS="$PIDS $!"
	_st_i=0
	while [ ! -s "$DIR/d$_st_n/run.json" ]; do
		_st_i=$((_st_i + 1))
		[ "$_st_i" -lt 200 ] || fail "agent $_st_n did not start"
		sleep 0.05
	done
}

# One status call a node and poll; the leader is whatever the first node
# names, the others must name it too.
wait_leader()
{
	_wl_i=0
	while :; do
		LEADER=
		_wl_ok=1
		for _wl_n in $1; do
			# a leader, and its log applied (until then
			# token checks answer 503 catching_up)
			_wl_l=$("$EXOGPU" status --json --api "$(api "$_wl_n")" |
			    jq -r 'if .caught_up == false then "" else
			    .leader // "" end')
			[ -n "$LEADER" ] || LEADER=$_wl_l
			[ -n "$_wl_l" ] && [ "$_wl_l" = "$LEADER" ] || _wl_ok=0
		done
		if [ "$_wl_ok" = 1 ] && [ -n "${3:-}" ]; then
			_wl_a=$("$EXOGPU" status --json \
			    --api "$(api "${1%% *}")" | jq -r .members_alive)
			[ "$_wl_a" = "$3" ] || _wl_ok=0
		fi
		[ "$_wl_ok" = 1 ] && break
		_wl_i=$((_wl_i + 1))
		if [ "$_wl_i" -ge "${2:-300}" ]; then
			case $1 in
			*" "*)	fail "no agreed leader" ;;
			*)	fail "no leader" ;;
			esac
		fi
		sleep 0.1
	done
	# shellcheck disable=SC2034,SC2086	# L is for the test
	L=$(node_of "$LEADER" $1)
	return 0
}

retry_place()
{
	_rp_n=$1
	shift
	_rp_i=0
	until out=$("$EXOGPU" place "$@" 2>&1); do
		_rp_i=$((_rp_i + 1))
		[ "$_rp_i" -lt "$_rp_n" ] || return 1
		echo "$out" | grep -q quota && return 1
		sleep 0.5
	done
	return 0
}

wait_replanned()
{
	_wr_i=0
	until "$EXOGPU" place --list --json --api "$(api "$1")" 2>/dev/null |
	    jq -e ".placements[0].epoch >= 2 and
	    (.placements[0].stages | all(.node != \"$2\"))" >/dev/null; do
		_wr_i=$((_wr_i + 1))
		[ "$_wr_i" -lt "$3" ] || return 1
		sleep 0.1
	done
	return 0
}

laptops()
{
	AGENT_NAME=laptop
	fixture_root 1
	start 1 --sysfs-root "$DIR/root1"
	fixture_root 2
	start 2 --sysfs-root "$DIR/root2" --join "$(quic 1)"
	retry_place 160 --model llama-3-8b:q4_0 --json --api "$(api 1)" ||
	    return 1
	HOST=$(echo "$out" | jq -r '.stages[0].node')
	# shellcheck disable=SC2034	# H is for the test
	H=$(node_of "$HOST" 1 2)
	return 0
}

keygen()
{
	"$EXOGPU" token keygen --out "$DIR/keys" >/dev/null || fail "keygen"
}

tok() { "$EXOGPU" token issue --key "$DIR/keys/token.key" --ttl 1h "$@"; }
