#!/bin/sh
# itest_demo.sh - the README's run command: `exogpu demo --once` starts a
# local cluster, elects a leader, places a catalog model, prints the plan,
# stops every agent it started and leaves nothing behind.
# $1: the exogpu binary.
set -u
EXOGPU=$1
OUT=$(mktemp) || exit 1
trap 'rm -f "$OUT"' EXIT
if ! timeout 240 "$EXOGPU" demo --once --nodes 3 >"$OUT" 2>&1; then
	echo "FAIL: demo exited non-zero"
	cat "$OUT"
	exit 1
fi
cat "$OUT"
for want in "leader .* elected" "placement 1 of llama-3-8b:q4_0" \
    "stage 1: layers 0-" "decode latency" "dashboard: http://127.0.0.1:"; do
	grep -q "$want" "$OUT" || { echo "FAIL: no '$want'"; exit 1; }
done
dir=$(sed -n 's/.*(logs in \(.*\))$/\1/p' "$OUT")
[ -n "$dir" ] && [ ! -e "$dir" ] || { echo "FAIL: $dir left behind"; exit 1; }
if pgrep -f "agent --data-dir $dir" >/dev/null; then
	echo "FAIL: agents still running"
	exit 1
fi
echo PASS
