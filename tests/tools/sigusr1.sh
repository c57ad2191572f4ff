#!/bin/bash
# tests/tools/sigusr1.sh TRACER PROG: run TRACER -e PROG, and once it is
# tracing send it SIGUSR1 twice (print the maps now), then SIGINT; print
# what it printed. Waits for the "Attaching" line (bpftrace 0.17 takes
# seconds to get there under TCG), then a second for BEGIN.
set -u
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$1" -e "$2" > "$out" 2>/dev/null &
pid=$!
for _ in $(seq 600); do
	grep -q '^Attaching' "$out" && break
	sleep 0.1
done
sleep 1
kill -USR1 $pid; sleep 1
kill -USR1 $pid; sleep 1
kill -INT $pid
wait $pid
rc=$?
cat "$out"
exit $rc
