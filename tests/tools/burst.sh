#!/bin/bash
# tests/tools/burst.sh MINIBT pipe|file|tty [N]: a printf burst of N lines
# (default 200,000: one per getppid() of a tight python loop) traced by
# MINIBT into a pipe, a file (-o) or a terminal (script(1)'s pty); prints
# "lines=N lost=M" with the lines that arrived and the "Lost" count.
set -u
mb=$1 mode=$2 n=${3:-200000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/trig.py" <<PY
import os
open("/proc/self/comm", "w").write("burst-trigger")
for i in range($n): os.getppid()
PY
prog='tracepoint:syscalls:sys_enter_getppid /comm == "burst-trigger"/ { printf("%d %d\n", pid, nsecs); }'
# the trigger names itself "burst-trigger" so nothing else counts
cmd="/usr/bin/python3 $tmp/trig.py"
case $mode in
pipe) "$mb" -c "$cmd" -e "$prog" 2>"$tmp/err" | cat > "$tmp/out" ;;
file) "$mb" -o "$tmp/out" -c "$cmd" -e "$prog" 2>"$tmp/err" ;;
tty)  script -qfec "$mb -c '$cmd' -e '$prog'" /dev/null > "$tmp/out" ;;
*) echo "burst.sh: mode is pipe, file or tty" >&2; exit 2 ;;
esac
rc=$?
lost=$(sed -n 's/^Lost \([0-9]*\) events.*/\1/p' "$tmp/out" | tail -n1)
[ -n "${BURST_DEBUG:-}" ] && { head -n 3 "$tmp/out"; tail -n 3 "$tmp/out"; cat "$tmp/err"; } >&2
echo "lines=$(grep -cE '^[0-9]+ -?[0-9]+'$'\r''?$' "$tmp/out") lost=${lost:-0} rc=$rc"
