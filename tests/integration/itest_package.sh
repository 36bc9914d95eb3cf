#!/bin/sh
# itest_package.sh - the Debian package (cmake/Package.cmake): builds the
# .deb with CPack from the build tree, checks its contents and control
# fields, lints the systemd unit and renders the man pages.  Then, only as
# root with CI=true or EXOGPU_TEST_INSTALL=1 (it changes the machine):
# installs it with dpkg -i, checks the user and config postinst made,
# starts the agent exactly as the installed unit's ExecStart says, as the
# unit's User with its groups and directories, on a loopback-only test
# config (no mDNS), asks /v1/status, stops it with SIGTERM, and removes
# and purges the package (and the user and groups it created).
# The unit is not started through systemctl: CI containers have no
# systemd as PID 1, and the same path works on a host that has one.
# $1: the exogpu binary (its directory is the build tree), $2: the source.
set -u
EXOGPU=$1
BUILD=$(cd "$(dirname "$EXOGPU")" && pwd)
DIR=$(mktemp -d "${TMPDIR:-/tmp}/exogpu-pkg.XXXXXX") || exit 1
chmod 755 "$DIR"
AGENT=
INSTALLED=
MADE_USER=
MADE_RENDER=
cleanup()
{
	if [ -n "$AGENT" ]; then
		kill "$AGENT" 2>/dev/null
		wait "$AGENT" 2>/dev/null
	fi
	if [ -n "$INSTALLED" ]; then
		dpkg -P exogpu >/dev/null 2>&1
	fi
	if [ -n "$MADE_USER" ]; then
		userdel exogpu 2>/dev/null
		groupdel exogpu 2>/dev/null
	fi
	if [ -n "$MADE_RENDER" ]; then
		groupdel render 2>/dev/null
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT

fail()
{
	echo "FAIL: $*"
	[ -f "$DIR/agent.log" ] && tail -n 20 "$DIR/agent.log"
	exit 1
}
for tool in cpack dpkg-deb dpkg-shlibdeps; do
	command -v "$tool" >/dev/null ||
	    { echo "SKIP: $tool not installed (dpkg-dev, cmake)"; exit 77; }
done
[ -f "$BUILD/CPackConfig.cmake" ] ||
    fail "no CPackConfig.cmake in $BUILD (cmake/Package.cmake not included?)"

# --- Build the package into a scratch directory. ---
t0=$(date +%s)
(cd "$BUILD" && cpack -G DEB -B "$DIR/out" >"$DIR/cpack.log" 2>&1) || {
	cat "$DIR/cpack.log"
	fail "cpack -G DEB failed"
}
DEB=$(ls "$DIR"/out/exogpu_*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] || fail "cpack made no exogpu_*.deb: $(ls "$DIR/out")"
echo "package: $DEB ($(wc -c <"$DEB") bytes, built in $(($(date +%s) - t0)) s)"

# --- Contents. ---
dpkg-deb -c "$DEB" >"$DIR/contents" || fail "dpkg-deb -c failed"
for f in ./usr/bin/exogpu ./usr/share/man/man1/exogpu.1 \
    ./usr/share/man/man5/exogpu.conf.5 ./usr/share/man/man8/exogpu-agent.8 \
    ./usr/lib/systemd/system/exogpu.service ./usr/share/exogpu/exogpu.conf \
    ./usr/share/doc/exogpu/exogpu.conf.example \
    ./usr/share/doc/exogpu/docs/operations.md; do
	grep -q " $f\$" "$DIR/contents" || fail "$f is not in the package"
done
grep -q '^-rwxr-xr-x root/root .* ./usr/bin/exogpu$' "$DIR/contents" ||
    fail "usr/bin/exogpu is not root-owned mode 0755"
if grep -q '\./etc/' "$DIR/contents"; then
	fail "the package ships files in /etc (postinst creates the config)"
fi
echo "contents: $(grep -vc '/$' "$DIR/contents") files"
sed 's/^/  /' "$DIR/contents" | awk '{ print $1, $NF }' | grep -v '/$'

# --- Control fields. ---
dpkg-deb -I "$DEB" >"$DIR/info" || fail "dpkg-deb -I failed"
field() { dpkg-deb -f "$DEB" "$1"; }
[ "$(field Package)" = exogpu ] || fail "Package: $(field Package)"
[ "$(field Section)" = net ] || fail "Section: $(field Section)"
want=$("$EXOGPU" --version | awk '{ print $2 }')
[ "$(field Version)" = "$want" ] ||
    fail "Version $(field Version), the binary says $want"
DEPENDS=$(field Depends)
echo "Depends: $DEPENDS"
for lib in libjansson libevent libgnutls libngtcp2 libvulkan libc6; do
	echo "$DEPENDS" | grep -q "$lib" ||
	    fail "Depends lacks $lib (dpkg-shlibdeps not run?)"
done
field Recommends | grep -q avahi-daemon || fail "avahi-daemon not recommended"
for s in postinst prerm postrm; do
	grep -q " $s " "$DIR/info" || fail "no $s maintainer script"
done
dpkg-deb -e "$DEB" "$DIR/control" || fail "dpkg-deb -e failed"
for s in postinst prerm postrm; do
	sh -n "$DIR/control/$s" || fail "$s does not parse"
	grep -q 'systemctl.* \(enable\|start\)' "$DIR/control/$s" &&
	    fail "$s enables or starts the service"
done

# --- The unit: lint with systemd-analyze. ---
dpkg-deb -x "$DEB" "$DIR/root" || fail "dpkg-deb -x failed"
UNIT_SRC=$DIR/root/usr/lib/systemd/system/exogpu.service
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT_SRC")
case $exec_start in
/usr/bin/exogpu\ agent\ *--config\ /etc/exogpu/exogpu.conf*)
	;;
*)
	fail "ExecStart is '$exec_start'"
	;;
esac
for key in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
    PrivateTmp=yes 'CapabilityBoundingSet=$' StateDirectory=exogpu \
    User=exogpu 'SupplementaryGroups=video render'; do
	grep -q "^$key" "$UNIT_SRC" || fail "the unit lacks $key"
done
for key in MemoryDenyWriteExecute PrivateDevices DynamicUser; do
	grep -q "^$key=" "$UNIT_SRC" &&
	    fail "the unit sets $key (breaks JIT drivers or GPU access)"
done
if command -v systemd-analyze >/dev/null; then
	# verify wants ExecStart's binary to exist: point it at the
	# package's copy, everything else as shipped.
	mkdir "$DIR/unit"
	sed "s|^ExecStart=/usr/bin/exogpu |ExecStart=$DIR/root/usr/bin/exogpu |" \
	    "$UNIT_SRC" >"$DIR/unit/exogpu.service"
	systemd-analyze verify --man=no "$DIR/unit/exogpu.service" \
	    >"$DIR/verify.log" 2>&1
	rc=$?
	if [ "$rc" != 0 ] || [ -s "$DIR/verify.log" ]; then
		cat "$DIR/verify.log"
		fail "systemd-analyze verify: exit $rc"
	fi
	echo "unit: systemd-analyze verify clean"
	systemd-analyze security --offline=yes "$DIR/unit/exogpu.service" \
	    2>/dev/null | tail -n 1
else
	echo "unit: systemd-analyze not installed; not linted"
fi

# --- Man pages: render without a single warning. ---
if command -v groff >/dev/null; then
	for m in man1/exogpu.1 man5/exogpu.conf.5 man8/exogpu-agent.8; do
		out=$(groff -man -ww -z "$DIR/root/usr/share/man/$m" 2>&1)
		[ -z "$out" ] || fail "groff warns on $m: $out"
	done
	echo "man pages: groff -man -ww renders all three without warnings"
else
	echo "man pages: groff not installed; not rendered"
fi

# --- Install, run as the unit says, remove (root and CI only). ---
if [ "$(id -u)" != 0 ] ||
    { [ "${CI:-}" != true ] && [ "${EXOGPU_TEST_INSTALL:-}" != 1 ]; }; then
	echo "install: skipped (needs root and CI=true or" \
	    "EXOGPU_TEST_INSTALL=1: it installs a package and adds a user)"
	echo PASS
	exit 0
fi
if dpkg-query -W -f='${Status}' exogpu 2>/dev/null | grep -q installed; then
	echo "install: skipped (an exogpu package is installed; not replacing it)"
	echo PASS
	exit 0
fi
if [ -e /var/lib/exogpu ] || [ -e /etc/exogpu/exogpu.conf ]; then
	echo "install: skipped (/var/lib/exogpu or /etc/exogpu/exogpu.conf" \
	    "exists, e.g. from an agent run as root; a purge would delete it)"
	echo PASS
	exit 0
fi
getent passwd exogpu >/dev/null || MADE_USER=1
getent group render >/dev/null || MADE_RENDER=1
INSTALLED=1
dpkg -i "$DEB" >"$DIR/dpkg.log" 2>&1 || {
	cat "$DIR/dpkg.log"
	fail "dpkg -i failed (dependencies come from .ci/setup)"
}
echo "install: dpkg -i $(basename "$DEB") ok"
getent passwd exogpu >/dev/null || fail "postinst made no exogpu user"
for g in video render; do
	if getent group "$g" >/dev/null; then
		id -Gn exogpu | tr ' ' '\n' | grep -qx "$g" ||
		    fail "exogpu is not in group $g"
	fi
done
[ "$(stat -c '%a %U %G' /etc/exogpu/exogpu.conf)" = "640 root exogpu" ] ||
    fail "/etc/exogpu/exogpu.conf: $(stat -c '%a %U %G' \
    /etc/exogpu/exogpu.conf)"

UNIT=$(dpkg -L exogpu | grep '/exogpu\.service$' | head -n 1)
[ -n "$UNIT" ] && [ -f "$UNIT" ] || fail "no unit in dpkg -L exogpu"
unit() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
USER_=$(unit User)
GROUP_=$(unit Group)
GROUPS_=$(unit SupplementaryGroups | tr ' ' ',')
STATE=/var/lib/$(unit StateDirectory)
CACHE=/var/cache/$(unit CacheDirectory)
# The loopback-only test config the installed ExecStart reads.
printf '%s\n' 'http = 127.0.0.1:0' 'listen = 127.0.0.1:0' \
    'no-mdns = true' 'no-bench = true' >/etc/exogpu/exogpu.conf
# What systemd does before ExecStart: the unit's directories and env.
install -d -m "$(unit StateDirectoryMode)" -o "$USER_" -g "$GROUP_" "$STATE"
install -d -m "$(unit CacheDirectoryMode)" -o "$USER_" -g "$GROUP_" "$CACHE"
ENVS=$(sed -n 's/^Environment=//p' "$UNIT")
NOFILE=$(unit LimitNOFILE)
# shellcheck disable=SC2086 # ExecStart and Environment are word lists
prlimit --nofile="${NOFILE:-1024}:${NOFILE:-1024}" \
    setpriv --reuid="$USER_" --regid="$GROUP_" --groups="$GROUPS_" \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$STATE" \
    LANG=C.UTF-8 $ENVS $(unit ExecStart) >"$DIR/agent.log" 2>&1 &
AGENT=$!
i=0
while [ ! -s "$STATE/run.json" ]; do
	i=$((i + 1))
	kill -0 "$AGENT" 2>/dev/null || fail "the agent exited at start"
	[ "$i" -lt 300 ] || fail "the agent wrote no $STATE/run.json in 30 s"
	sleep 0.1
done
API=$(sed -n 's/.*"api": *"\([^"]*\)".*/\1/p' "$STATE/run.json")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$AGENT/status")
[ "$uid" = "$(id -u "$USER_")" ] || fail "the agent runs as uid $uid"
[ -z "$NOFILE" ] ||
    grep -q "^Max open files *$NOFILE " "/proc/$AGENT/limits" ||
    fail "the agent's descriptor limit is not $NOFILE"
/usr/bin/exogpu status --json --api "$API" >"$DIR/status.json" 2>&1 ||
    fail "GET /v1/status: $(cat "$DIR/status.json")"
grep -q '"node_id"' "$DIR/status.json" || fail "no node_id in /v1/status"
echo "run: $(unit ExecStart) as $USER_ ($GROUPS_): /v1/status on $API ok"
kill -TERM "$AGENT"
wait "$AGENT"
rc=$?
AGENT=
[ "$rc" = 0 ] || fail "the agent exited $rc on SIGTERM"
[ ! -e "$STATE/run.json" ] || fail "run.json left behind after SIGTERM"
echo "run: SIGTERM -> exit 0"

dpkg -r exogpu >"$DIR/dpkg.log" 2>&1 || { cat "$DIR/dpkg.log"; fail "dpkg -r"; }
[ ! -e /usr/bin/exogpu ] || fail "dpkg -r left /usr/bin/exogpu"
[ -d "$STATE" ] || fail "dpkg -r removed the state (only purge may)"
dpkg -P exogpu >"$DIR/dpkg.log" 2>&1 || { cat "$DIR/dpkg.log"; fail "dpkg -P"; }
INSTALLED=
[ ! -e "$STATE" ] || fail "purge left $STATE"
[ ! -e /etc/exogpu/exogpu.conf ] || fail "purge left /etc/exogpu/exogpu.conf"
echo "remove: dpkg -r keeps the state, dpkg -P removes it"
echo PASS
exit 0
