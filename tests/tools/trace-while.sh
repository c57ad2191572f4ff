#!/bin/bash
# tests/tools/trace-while.sh: run a tracer, trigger events, stop it, show its output.
#
#   tests/tools/trace-while.sh [-w SECS] TRACER [ARGS...] -- TRIGGER [ARGS...]
#
# Starts TRACER in the background, waits until its stdout has the line
# "Attaching N probes..." and the line after it, the BEGIN probe's first
# output (up to SECS, default 240: bpftrace compiling kernel headers under
# TCG takes a minute; bpftrace runs BEGIN once all probes are attached,
# minibt just before it attaches them) and a second more, runs TRIGGER,
# waits a second, sends the tracer SIGINT and waits for it.
# Then prints the tracer's stdout, its stderr to stderr, and exits with
# the tracer's status (TRIGGER's status if that failed, 124 if the tracer
# never attached). For cases whose tracer may take longer to start than
# runcases waits before AFTER (tests/vm/README.md).
set -u
wait_s=240
if [ "${1:-}" = -w ]; then wait_s=$2; shift 2; fi
tracer=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do tracer+=("$1"); shift; done
[ "${1:-}" = -- ] || { echo "usage: trace-while.sh [-w SECS] TRACER... -- TRIGGER..." >&2; exit 2; }
shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"${tracer[@]}" >"$out" 2>"$err" &
pid=$!
end=$((SECONDS + wait_s))
ready() { grep -A1 '^Attaching ' "$out" | tail -n +2 | grep -q .; }
while ! ready && kill -0 $pid 2>/dev/null && [ $SECONDS -lt $end ]; do
	sleep 0.1
done
rc=0
if grep -q '^Attaching ' "$out"; then
	sleep 1
	"$@" >&2 || rc=$?
	sleep 1
elif kill -0 $pid 2>/dev/null; then
	echo "trace-while.sh: no 'Attaching' line after ${wait_s}s" >&2
	rc=124
fi
kill -INT $pid 2>/dev/null
wait $pid
trc=$?
cat "$out"
cat "$err" >&2
[ $rc -ne 0 ] && exit $rc
exit $trc
