# mdns_lab.sh - a throw-away mDNS lab in network namespaces, sourced by
# tests/integration/itest_mdns_lab.sh (POSIX sh: ctest runs it with dash).
#
# Why it is shaped this way: mDNS discovery can only be tested for real
# with several hosts, each with its own avahi-daemon on its own link, and
# the machine's own namespace must never see any of it.  So, following
# the lab recipe in DESIGN.md:
#   - one namespace holds a bridge (br0, multicast snooping off so mDNS
#     floods like on a dumb switch);
#   - one namespace per node, joined by a veth whose node end is eth0
#     with 10.78.0.N/24 and fd00:78::N/64 (plus its link-local address;
#     DAD is off so addresses are usable at once); a node may have only
#     the link-local IPv6 address, which Avahi then publishes, so the
#     scope-id handling is exercised;
#   - per node a private D-Bus "system" bus (dbus-daemon with a permissive
#     policy listening on a socket in the scratch dir) and an avahi-daemon
#     started under `unshare -m` with a tmpfs over /run (its pid file path
#     is fixed, and this also hides the host's /run/dbus), --no-chroot
#     --no-drop-root, host-name unique per node, allow-interfaces=eth0.
#     Clients reach it with DBUS_SYSTEM_BUS_ADDRESS.
# Interfaces are created directly inside the lab's namespaces; nothing in
# the root namespace is touched and no packet can leave the lab.  Names
# carry the shell's pid, so parallel labs never meet.  mlab_init installs
# traps that stop every process the lab started (by pid) and delete its
# namespaces and scratch directory on any exit.
#
# Functions (prefix mlab_):
#   mlab_check                prints why the lab cannot run, returns 1
#   mlab_init                 bridge namespace, $MLAB_DIR, traps
#   mlab_add_node N [ll]      namespace + veth + addresses for node N;
#                             "ll": IPv6 link-local only (no fd00:78::N)
#   mlab_ns N                 namespace name of node N
#   mlab_bus N                D-Bus address of node N's private bus
#   mlab_dbus_start N         start node N's dbus-daemon, wait for socket
#   mlab_avahi_start N        start node N's avahi-daemon; pid in
#                             MLAB_AVAHI_<N>
#   mlab_avahi_stop N         SIGTERM it (it sends goodbye packets)
#   mlab_spawn N LOG CMD...   run CMD in node N with its bus address in
#                             the background; pid in $MLAB_LAST_PID
#   mlab_exec N CMD...        run CMD in node N with its bus address
#   mlab_stop PID             SIGTERM, SIGKILL after 5 s; returns its status

MLAB_ID="xm$$"
MLAB_NET4="10.78.0"
MLAB_NET6="fd00:78:"
MLAB_NODES=""
MLAB_PIDS=""
MLAB_DIR=""
MLAB_UP=0
MLAB_LAST_PID=""

mlab_log()
{
	printf 'mdns-lab: %s\n' "$*" >&2
}

mlab_check()
{
	if [ "$(id -u)" != 0 ]; then
		echo "not root: network namespaces need root"
		return 1
	fi
	for _c in ip unshare avahi-daemon dbus-daemon avahi-browse mount; do
		if ! command -v "$_c" >/dev/null 2>&1 &&
		    ! [ -x "/usr/sbin/$_c" ]; then
			echo "$_c not installed"
			return 1
		fi
	done
	_t="${MLAB_ID}chk"
	if ! ip netns add "$_t" 2>/dev/null; then
		echo "ip netns add failed (no namespace support?)"
		return 1
	fi
	_ok=0
	if ip -n "$_t" link add v0 type veth peer name v1 2>/dev/null &&
	    ip -n "$_t" link add b0 type bridge 2>/dev/null; then
		_ok=1
	fi
	ip netns del "$_t" 2>/dev/null
	if [ "$_ok" != 1 ]; then
		echo "veth or bridge not available"
		return 1
	fi
	return 0
}

mlab_ns()
{
	echo "${MLAB_ID}n$1"
}

mlab_bus()
{
	echo "unix:path=$MLAB_DIR/n$1/bus"
}

mlab_alive()
{
	kill -0 "$1" 2>/dev/null
}

# Returns the process's exit status (143 if it had to be killed).
mlab_stop()
{
	_p=$1
	if mlab_alive "$_p"; then
		kill -TERM "$_p" 2>/dev/null
		_i=0
		while mlab_alive "$_p" && [ $_i -lt 50 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		if mlab_alive "$_p"; then
			mlab_log "pid $_p ignored SIGTERM for 5 s: SIGKILL"
			kill -KILL "$_p" 2>/dev/null
		fi
	fi
	wait "$_p" 2>/dev/null
}

mlab_cleanup()
{
	[ "$MLAB_UP" = 1 ] || return 0
	MLAB_UP=0
	for _p in $MLAB_PIDS; do
		mlab_alive "$_p" && kill -TERM "$_p" 2>/dev/null
	done
	for _p in $MLAB_PIDS; do
		mlab_stop "$_p"
	done
	# Anything left in our namespaces was started by this lab.
	for _ns in $MLAB_NODES; do
		for _p in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -KILL "$_p" 2>/dev/null
		done
		ip netns del "$_ns" 2>/dev/null
	done
	if [ -n "$MLAB_DIR" ] && [ -d "$MLAB_DIR" ]; then
		if [ -n "${MLAB_KEEP:-}" ]; then
			mlab_log "kept $MLAB_DIR"
		else
			rm -rf "$MLAB_DIR"
		fi
	fi
}

mlab_init()
{
	MLAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/exogpu-mdns.XXXXXX") || {
		mlab_log "mktemp failed"
		exit 1
	}
	MLAB_UP=1
	trap mlab_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	_br="${MLAB_ID}br"
	MLAB_NODES="$_br"
	ip netns add "$_br" &&
	    ip -n "$_br" link set lo up &&
	    ip -n "$_br" link add br0 type bridge mcast_snooping 0 &&
	    ip -n "$_br" link set br0 up || {
		mlab_log "bridge setup failed"
		exit 1
	}
}

mlab_add_node()
{
	_n=$1
	_ns=$(mlab_ns "$_n")
	_br="${MLAB_ID}br"
	mkdir -p "$MLAB_DIR/n$_n" || exit 1
	ip netns add "$_ns" || exit 1
	MLAB_NODES="$_ns $MLAB_NODES"
	ip netns exec "$_ns" sh -c 'echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad && echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad' &&
	    ip -n "$_ns" link set lo up &&
	    ip link add eth0 netns "$_ns" type veth peer name "p$_n" \
	    netns "$_br" &&
	    ip -n "$_br" link set "p$_n" master br0 up &&
	    ip -n "$_ns" addr add "$MLAB_NET4.$_n/24" dev eth0 &&
	    { [ "${2:-}" = ll ] ||
	    ip -n "$_ns" addr add "$MLAB_NET6:$_n/64" dev eth0 nodad; } &&
	    ip -n "$_ns" link set eth0 up || {
		mlab_log "node $_n setup failed"
		exit 1
	}
}

mlab_spawn()
{
	_n=$1
	_log=$2
	shift 2
	ip netns exec "$(mlab_ns "$_n")" env \
	    DBUS_SYSTEM_BUS_ADDRESS="$(mlab_bus "$_n")" "$@" >"$_log" 2>&1 &
	MLAB_LAST_PID=$!
	MLAB_PIDS="$MLAB_PIDS $MLAB_LAST_PID"
}

mlab_exec()
{
	_n=$1
	shift
	ip netns exec "$(mlab_ns "$_n")" env \
	    DBUS_SYSTEM_BUS_ADDRESS="$(mlab_bus "$_n")" "$@"
}

mlab_dbus_start()
{
	_n=$1
	_d="$MLAB_DIR/n$_n"
	cat >"$_d/dbus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$_d/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
	rm -f "$_d/bus"
	mlab_spawn "$_n" "$_d/dbus.log" dbus-daemon \
	    --config-file="$_d/dbus.conf" --nofork --nopidfile
	eval "MLAB_DBUS_$_n=$MLAB_LAST_PID"
	_i=0
	while [ ! -S "$_d/bus" ]; do
		[ $_i -lt 100 ] || {
			cat "$_d/dbus.log" >&2
			mlab_log "node $_n: no D-Bus socket after 5 s"
			exit 1
		}
		sleep 0.05
		_i=$((_i + 1))
	done
}

mlab_avahi_start()
{
	_n=$1
	_d="$MLAB_DIR/n$_n"
	cat >"$_d/avahi.conf" <<EOF
[server]
host-name=${MLAB_ID}-n$_n
domain-name=local
use-ipv4=yes
use-ipv6=yes
allow-interfaces=eth0
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000

[wide-area]
enable-wide-area=no

[publish]
publish-hinfo=no
publish-workstation=no
EOF
	_ad=$(command -v avahi-daemon || echo /usr/sbin/avahi-daemon)
	# exec chain: ip netns exec -> env -> unshare -> sh -> avahi-daemon,
	# so $! is the daemon's pid.
	mlab_spawn "$_n" "$_d/avahi.log.$(date +%s%N)" unshare -m sh -c \
	    'mount -t tmpfs tmpfs /run && mkdir /run/avahi-daemon &&
	    exec "$0" -f "$1" --no-chroot --no-drop-root --no-rlimits' \
	    "$_ad" "$_d/avahi.conf"
	eval "MLAB_AVAHI_$_n=$MLAB_LAST_PID"
}

mlab_avahi_stop()
{
	eval "_p=\$MLAB_AVAHI_$1"
	mlab_stop "$_p"
}
