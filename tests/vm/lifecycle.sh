#!/bin/bash
# tests/vm/lifecycle.sh MINIBT HOW [PROGRAM]: run a tracer, end it one way,
# and check that nothing it created is left in the kernel.
#   HOW: INT TERM HUP KILL (signal after attach), exit (the program calls
#   exit() itself), fail (attaching fails part-way: PROGRAM decides), or
#   SIG@PHASE, a signal in one phase of a run under load:
#     @attaching  as soon as "Attaching" is printed (PROGRAM: a wildcard
#                 taking seconds to attach)
#     @burst      0.5 s after the first 1,000 lines of a burst of getppid() calls by a process named
#                 burst-trigger (PROGRAM: a printf per call)
#     @print      a burst fills a map (PROGRAM, BPFTRACE_MAP_KEYS_MAX from
#                 the environment); a first SIGINT ends the tracing, SIG
#                 comes once the map printing at exit has begun
# Prints the tracer's output (with @burst/@print: "lines=N partial=M",
# M lines that are not whole), "exit=N", "ended" or "hung" (not gone 10 s
# after the signal: then killed), and "leftover progs=N maps=N links=N
# kprobe_events=N" (differences against the counts taken before the run).
# The time from the last signal to the exit goes to stderr.
set -u
bin=$1 how=$2
prog=${3:-'kprobe:do_nanosleep { @[comm] = count(); } kretprobe:do_nanosleep { @r = count(); } tracepoint:syscalls:sys_enter_openat { @o = count(); } interval:ms:100 { @i = count(); } profile:hz:49 { @p = count(); } END { printf("end ran\n"); }'}
sig=${how%@*} phase=
[ "$sig" != "$how" ] && phase=${how#*@}
T=/sys/kernel/tracing
count() { bpftool "$1" show 2>/dev/null | grep -c '^[0-9][0-9]*:'; }
kev() { cat $T/kprobe_events 2>/dev/null | wc -l; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
p0=$(count prog) m0=$(count map) l0=$(count link) k0=$(kev)
tmp=$(mktemp -d)
out=$tmp/out trig=
cat > "$tmp/trig.py" <<'PY'
import os, sys
open("/proc/self/comm", "w").write("burst-trigger")
for i in range(int(sys.argv[1])): os.getppid()
PY
err=$tmp/err
[ -z "$phase" ] && err=$out # the old cases look for errors in the output
"$bin" -B line -e "$prog" >"$out" 2>"$err" &
pid=$!
i=0
while ! grep -q '^Attaching' "$out" && [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
case $phase in
attaching) ;;
burst)
	sleep 1; /usr/bin/python3 "$tmp/trig.py" 1000000 & trig=$!
	i=0 # until the burst is under way
	while [ "$(wc -l < "$out")" -lt 1000 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5 ;;
print)
	sleep 1; /usr/bin/python3 "$tmp/trig.py" 200000
	kill -s INT $pid
	i=0
	while ! grep -q '^@' "$out" && [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do sleep 0.02; i=$((i + 1)); done ;;
*) sleep 1.1 ;;
esac
t0=$(now_ms)
case $sig in
INT|TERM|HUP|KILL) kill -s "$sig" $pid ;;
esac
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then
	ended=hung
	kill -9 $pid
else
	ended=ended
fi
wait $pid
rc=$?
echo "stopped $(( $(now_ms) - t0 )) ms after SIG$sig ($phase)" >&2
[ -n "$trig" ] && kill $trig 2>/dev/null && wait $trig 2>/dev/null
case $phase in
burst|print)
	# every line whole: a number line, a map line, a header or blank
	n=$(grep -c . "$out")
	bad=$(grep -cvE '^([0-9]+ -?[0-9]+|@\[[0-9]+\]: [0-9]+|Attaching [0-9]+ probes?\.\.\.|Lost [0-9]+ events|)$' "$out")
	echo "lines=$n partial=$bad"
	grep -vE '^([0-9]+ -?[0-9]+|@\[[0-9]+\]: [0-9]+)$' "$out" | head -n 5 ;;
*) cat "$out" ;;
esac
[ -n "$phase" ] && cat "$err" >&2
echo "exit=$rc"
echo "$ended"
# freeing is deferred (RCU): give the kernel a moment
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(count prog)" -le "$p0" ] && [ "$(count map)" -le "$m0" ] && [ "$(count link)" -le "$l0" ] && [ "$(kev)" -le "$k0" ] && break
	sleep 0.3
done
echo "leftover progs=$(( $(count prog) - p0 )) maps=$(( $(count map) - m0 )) links=$(( $(count link) - l0 )) kprobe_events=$(( $(kev) - k0 ))"
rm -rf "$tmp"
