#!/bin/bash
# tests/tools/count-vs-plain.sh: tcpretrans.bt -c counts what plain mode prints.
#
#   tests/tools/count-vs-plain.sh MINIBT [ROUNDS] [-- EXTRA-OPTIONS...]
#
# Runs `MINIBT scripts/tcpretrans.bt [EXTRA]` and `... -c [EXTRA]` at the same
# time, waits until both are attached, makes ROUNDS (default 3) pairs of
# loopback transfers (tests/vm/tcpxfer.py, IPv4 to port 47301 and IPv6 to
# port 47302), stops both with SIGINT and compares: the event lines of plain
# mode per flow against the -c table (LADDR:LPORT <-> RADDR:RPORT COUNT).
# Prints per-flow and total counts and a last line
#   count-vs-plain: plain=N count=M flows=F ok|MISMATCH
# and exits 0 when N > 0 and each flow's and the total counts are within
# 10% of each other (edge effects: a retransmit racing the SIGINTs).
# Needs a lossy lo (tests/vm/lossy-link.sh on) and the guest.
set -u
cd "$(dirname "$0")/../.."
bin=${1:?usage: count-vs-plain.sh MINIBT [ROUNDS] [-- OPTIONS...]}
shift
rounds=3
if [ $# -gt 0 ] && [ "$1" != -- ]; then rounds=$1; shift; fi
[ "${1:-}" = -- ] && shift
extra=("$@")
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
"$bin" scripts/tcpretrans.bt "${extra[@]}" >"$d/plain" 2>"$d/plain.err" &
p1=$!
"$bin" scripts/tcpretrans.bt -c "${extra[@]}" >"$d/count" 2>"$d/count.err" &
p2=$!
end=$((SECONDS + 240))
while ! { grep -q '^Attaching' "$d/plain" && grep -q '^Attaching' "$d/count"; } &&
      kill -0 $p1 2>/dev/null && kill -0 $p2 2>/dev/null && [ $SECONDS -lt $end ]; do
	sleep 0.1
done
sleep 0.5
for i in $(seq "$rounds"); do
	/usr/bin/python3 tests/vm/tcpxfer.py --host 127.0.0.1 --port 47301 >/dev/null || echo "transfer failed" >&2
	/usr/bin/python3 tests/vm/tcpxfer.py --host ::1 --port 47302 >/dev/null || echo "transfer failed" >&2
done
sleep 1
kill -INT $p1 $p2 2>/dev/null
wait $p1; r1=$?
wait $p2; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] || { echo "tracers exited $r1 $r2"; cat "$d"/*.err; exit 1; }
/usr/bin/python3 - "$d/plain" "$d/count" <<'EOF'
import re, sys
plain, count = {}, {}
for l in open(sys.argv[1]):
    m = re.match(r"\d\d:\d\d:\d\d \d+ +(\S+:\d+) +(?:[RL]> +)?(\S+:\d+) ", l)
    if m:
        k = (m.group(1), m.group(2))
        plain[k] = plain.get(k, 0) + 1
for l in open(sys.argv[2]):
    m = re.match(r" *(\S+):(\d+) +<-> +(\S+):(\d+) +(\d+)$", l)
    if m:
        count[(m.group(1) + ":" + m.group(2), m.group(3) + ":" + m.group(4))] = int(m.group(5))
ok = sum(plain.values()) > 0
def near(a, b):
    return abs(a - b) <= 0.1 * max(a, b)
for k in sorted(set(plain) | set(count)):
    a, b = plain.get(k, 0), count.get(k, 0)
    print(f"  {k[0]} <-> {k[1]}: plain {a}, -c {b}")
    # a flow seen once by one tracer only: a retransmit racing the SIGINTs
    ok &= near(a, b) or abs(a - b) <= 1
n, m = sum(plain.values()), sum(count.values())
ok &= near(n, m)
print(f"count-vs-plain: plain={n} count={m} flows={len(set(plain) | set(count))} {'ok' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
EOF
