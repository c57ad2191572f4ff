#!/bin/sh
# tests/vm/lifecycle.sh MINIBT HOW [PROGRAM]: run a tracer, end it one way,
# and check that nothing it created is left in the kernel.
#   HOW: INT TERM HUP KILL (signal after attach), exit (the program calls
#   exit() itself), fail (attaching fails part-way: PROGRAM decides)
# Prints "exit=N" and "leftover progs=N maps=N links=N kprobe_events=N"
# (differences against the counts taken before the run).
set -u
bin=$1 how=$2
prog=${3:-'kprobe:do_nanosleep { @[comm] = count(); } kretprobe:do_nanosleep { @r = count(); } tracepoint:syscalls:sys_enter_openat { @o = count(); } interval:ms:100 { @i = count(); } profile:hz:49 { @p = count(); } END { printf("end ran\n"); }'}
T=/sys/kernel/tracing
count() { bpftool "$1" show 2>/dev/null | grep -c '^[0-9][0-9]*:'; }
kev() { cat $T/kprobe_events 2>/dev/null | wc -l; }
p0=$(count prog) m0=$(count map) l0=$(count link) k0=$(kev)
out=$(mktemp)
"$bin" -B line -e "$prog" >"$out" 2>&1 &
pid=$!
i=0
while ! grep -q '^Attaching' "$out" && [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
sleep 1
sleep 0.1
case $how in
INT|TERM|HUP|KILL) kill -s "$how" $pid ;;
esac
wait $pid
rc=$?
cat "$out"
echo "exit=$rc"
# freeing is deferred (RCU): give the kernel a moment
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(count prog)" -le "$p0" ] && [ "$(count map)" -le "$m0" ] && [ "$(count link)" -le "$l0" ] && [ "$(kev)" -le "$k0" ] && break
	sleep 0.3
done
echo "leftover progs=$(( $(count prog) - p0 )) maps=$(( $(count map) - m0 )) links=$(( $(count link) - l0 )) kprobe_events=$(( $(kev) - k0 ))"
rm -f "$out"
