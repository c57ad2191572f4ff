#!/bin/bash
# tests/host/cli.sh: the command line, on the host (no kernel attach needed).
# Each check runs minibt and asserts on exit status and output text.
# Runs against ./minibt and, when built, ./minibt-asan.
set -u
cd "$(dirname "$0")/../.."
pass=0 fail=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# check NAME WANT_RC STDOUT_GREP STDERR_GREP -- CMD...
check() {
	local name=$1 want=$2 og=$3 eg=$4; shift 5
	timeout -k 5 60 "$@" >"$out" 2>"$err" </dev/null
	local rc=$?
	local why=""
	[ "$rc" = "$want" ] || why="exit $rc, want $want"
	if [ -z "$why" ] && [ -n "$og" ] && ! grep -qE -- "$og" "$out"; then why="stdout lacks /$og/"; fi
	if [ -z "$why" ] && [ -n "$eg" ] && ! grep -qE -- "$eg" "$err"; then why="stderr lacks /$eg/"; fi
	if [ -z "$why" ] && grep -qE 'AddressSanitizer|runtime error:|LeakSanitizer' "$err"; then why="sanitizer report"; fi
	if [ -z "$why" ]; then
		pass=$((pass + 1)); echo "ok   $name"
	else
		fail=$((fail + 1)); echo "FAIL $name: $why"
		sed 's/^/    out| /' "$out" | head -20; sed 's/^/    err| /' "$err" | head -20
	fi
}

# long and deep programs (generated): compile, or a located error; never
# bison's "memory exhausted" nor a stack overflow
gen=$(mktemp -d); trap 'rm -rf "$out" "$err" "$gen"' EXIT
python3 - "$gen" <<'PY'
import sys
d = sys.argv[1]
w = lambda n, t: open(f"{d}/{n}.bt", "w").write(t + "\n")
w("stmts5000", "BEGIN { $x = 0; " + "$x = $x + 1; " * 5000 + "printf(\"%d\\n\", $x); exit(); }")
w("paren10000", "BEGIN { $x = " + "(" * 10000 + "7" + ")" * 10000 + "; printf(\"%d\\n\", $x); exit(); }")
w("not100000", "BEGIN { $x = " + "!" * 100000 + "1; }")
w("plus100000", "BEGIN { $x = 1" + " + 1" * 100000 + "; }")
w("blocks1000", "BEGIN { " + "{ " * 1000 + "$x = 1;" + " }" * 1000 + " }")
w("fatal", "BEGIN {\n  printf(\"a\\n\");\n  exit();\n}")
w("plus390", "BEGIN { $x = 1" + " + 1" * 390 + "; printf(\"%d\\n\", $x); exit(); }")
PY

for B in ./minibt ./minibt-asan; do
	[ -x "$B" ] || continue
	b=$(basename "$B")
	check "$b --help" 0 '^USAGE:' '' -- "$B" --help
	check "$b -h" 0 'minibt -e' '' -- "$B" -h
	check "$b --version" 0 '^minibt v[0-9]' '' -- "$B" --version
	check "$b -I DIR --include FILE: bpftrace's options, accepted (types from BTF)" 0 '' '' -- \
		"$B" --dry-run -I /usr/include -I/tmp --include errno.h -e 'BEGIN { printf("%d\n", EPERM); }'
	check "$b --emit-elf FILE writes the BPF object and exits" 0 '' '' -- \
		sh -c "rm -f '$gen/e.o'; '$B' --emit-elf '$gen/e.o' -e 'BEGIN { exit(); }' && od -An -c -N4 '$gen/e.o' | grep -q 'E   L   F'"
	check "$b --emit-elf to a missing directory: the error" 1 '' 'ERROR: --emit-elf /nonexistent/x.o: No such file' -- \
		"$B" --emit-elf /nonexistent/x.o -e 'BEGIN { exit(); }'
	check "$b BPFTRACE_STRLEN: str() reads that many bytes, NUL included" 0 '^\[min\]$' '' -- \
		env BPFTRACE_STRLEN=4 "$B" -e 'BEGIN { printf("[%s]\n", str(curtask->comm)); exit(); }'
	check "$b BPFTRACE_STRLEN over 200: bpftrace's error" 1 '' "'BPFTRACE_STRLEN' 201 exceeds the current maximum of 200 bytes" -- \
		env BPFTRACE_STRLEN=201 "$B" --dry-run -e 'BEGIN { exit(); }'
	check "$b BPFTRACE_STRLEN not a number: bpftrace's error" 1 '' "Env var 'BPFTRACE_STRLEN' did not contain a valid uint64_t" -- \
		env BPFTRACE_STRLEN=abc "$B" --dry-run -e 'BEGIN { exit(); }'
	check "$b BPFTRACE_MAX_PROBES zero: bpftrace's error" 1 '' "Env var 'BPFTRACE_MAX_PROBES' did not contain a valid uint64_t" -- \
		env BPFTRACE_MAX_PROBES=0 "$B" --dry-run -e 'BEGIN { exit(); }'
	check "$b -q: no Attaching line" 0 '^1$' '' -- \
		sh -c "'$B' -q -e 'BEGIN { printf(\"1\\n\"); exit(); }' | head -1"
	check "$b no program" 1 '' 'no program given' -- "$B"
	check "$b bad option" 1 '' 'USAGE' -- "$B" --bogus-option
	check "$b bad -d stage" 1 '' "invalid -d stage 'xyz'" -- "$B" -d xyz -e 'BEGIN {}'
	check "$b bad -B" 1 '' "invalid buffering mode" -- "$B" -B sometimes -e 'BEGIN {}'
	check "$b bad -f" 1 '' "invalid output format" -- "$B" -f xml -e 'BEGIN {}'
	check "$b missing file" 1 '' 'failed to open /nonexistent.bt' -- "$B" /nonexistent.bt
	check "$b -d ast" 0 'call printf' '' -- "$B" -d ast -e 'BEGIN { printf("x\n"); }'
	check "$b -d ir" 0 'define.*@probe0' '' -- "$B" -d ir -e 'BEGIN { printf("x\n"); }'
	check "$b -d bpf" 0 'call' '' -- "$B" -d bpf -e 'BEGIN { printf("x %d\n", pid); }'
	check "$b --dry-run tcpretrans" 0 '' '' -- "$B" --dry-run /usr/sbin/tcpretrans.bt
	check "$b program on stdin" 0 'Program' '' -- sh -c "echo 'BEGIN { exit(); }' | $B -d ast -"
	check "$b positional params" 0 'param \$1' '' -- "$B" -d ast -e 'BEGIN { printf("%d\n", $1); }' 5
	check "$b unknown named option" 1 '' "unknown option '--nope'" -- "$B" --dry-run -e 'BEGIN { exit(); }' --nope
	check "$b always-false predicate skips its probe" 0 '' 'skipping probe kprobe:tcp_send_loss_probe: its predicate is always false' -- "$B" -v --dry-run scripts/tcpretrans.bt
	check "$b -p of no process" 1 '' '^ERROR: -p 999999999: no such process' -- "$B" -p 999999999 -e 'BEGIN { exit(); }'
	check "$b -c of a missing command" 1 '' '^ERROR: -c: command not found: no-such-cmd-xyz$' -- "$B" -c 'no-such-cmd-xyz --flag' -e 'BEGIN { printf("begin\n"); }'
	check "$b -c of a missing path" 1 '' '^ERROR: -c: command not found: /nonexistent/cmd$' -- "$B" -c /nonexistent/cmd -e 'BEGIN { printf("begin\n"); }'
	check "$b -c runs the command" 0 '^hello-from-c$' '' -- "$B" -c 'echo hello-from-c' -e 'BEGIN { printf("begin\n"); }'
	check "$b -p with -c" 1 '' '-c and -p can not be used together' -- "$B" -p 1 -c true -e 'BEGIN { exit(); }'
	check "$b -p ends when the process does" 0 '^end$' '' -- sh -c "sleep 0.5 & exec $B -p \$! -e 'BEGIN { printf(\"begin\\n\"); } END { printf(\"end\\n\"); }'"
	check "$b no kernel BTF" 1 '' "Unknown struct/union: 'struct sock' \\(no kernel BTF\\)" -- env BPFTRACE_BTF=/nonexistent "$B" --dry-run -e 'kprobe:tcp_sendmsg { printf("%d\\n", ((struct sock *)arg0)->__sk_common.skc_num); }'
	check "$b BPFTRACE_BTF names the BTF file" 0 '' '' -- env BPFTRACE_BTF=/sys/kernel/btf/vmlinux "$B" --dry-run -e 'kprobe:tcp_sendmsg { printf("%d\\n", ((struct sock *)arg0)->__sk_common.skc_num); }'
	check "$b getopt folds" 0 '' '' -- "$B" --dry-run -e 'BEGIN { printf("%d\n", getopt("n", 1)); exit(); }' --n=3
	check "$b not root" 1 '' 'needs root' -- setpriv --reuid=65534 --regid=65534 --clear-groups "$B" -e 'BEGIN { exit(); }'
	check "$b runs BEGIN on the host" 0 '^hi 42$' '' -- "$B" -e 'BEGIN { printf("hi %d\n", 42); exit(); }'
	# this kernel has no kprobe_events: -l says so instead of listing
	# kprobes nothing could attach (the guest cases list them)
	check "$b -l kprobes without kprobe_events" 1 '' '^ERROR: this kernel has no kprobes \(no kprobe_events in tracefs\)' -- "$B" -l 'kprobe:tcp_retransmit_*'
	check "$b -l short kind names" 1 '' '^ERROR: this kernel has no kprobes' -- "$B" -l 'kr:vfs_read'
	check "$b -l an exact name is exact" 0 '^1$' '' -- sh -c "$B -l sys_enter_openat | wc -l"
	check "$b -l t: an exact tracepoint" 0 '^tracepoint:syscalls:sys_enter_openat$' '' -- "$B" -l 't:syscalls:sys_enter_openat'
	check "$b -l a category" 0 '^tracepoint:sched:sched_switch$' '' -- "$B" -l 'sched:*'
	check "$b -l an invalid glob" 1 '' "^ERROR: invalid pattern '\[bad': a '\[' without its '\]'" -- "$B" -l '[bad'
	check "$b -l an unknown kind" 1 '' "^ERROR: invalid pattern 'foo:bar': 'foo' is neither a probe type nor a tracepoint category" -- "$B" -l 'foo:bar'
	check "$b -l a kind without names" 1 '' '^ERROR: interval probes have no kernel names to list' -- "$B" -l 'interval:*'
	check "$b -l software events, with the ':' of the count" 0 '^software:page-faults:$' '' -- "$B" -l 'software:*'
	check "$b -l hardware events by a short kind name" 0 '^hardware:cpu-cycles:$' '' -- "$B" -l 'h:cpu-*'
	check "$b -lv a tracepoint's fields" 0 '^    const char \* filename$' '' -- "$B" -lv 't:syscalls:sys_enter_openat'
	check "$b -l -v a tracepoint's fields" 0 '^    char prev_comm\[16\]$' '' -- "$B" -l -v 'tracepoint:sched:sched_switch'
	# LLVM's fatal errors (here an atomic nand the BPF backend cannot
	# select, planted by a test hook) are located errors, never an abort
	check "$b an LLVM fatal error is a located error" 1 '' 'fatal.bt:2:3-4: ERROR: LLVM could not compile this program to BPF: Cannot select: ' -- env MINIBT_DEBUG_LLVM_FATAL_LINE=2 "$B" --dry-run "$gen/fatal.bt"
	check "$b 5,000 statements in a block" 0 '^5000$' '' -- "$B" "$gen/stmts5000.bt"
	check "$b 10,000 nested parentheses" 0 '^7$' '' -- "$B" "$gen/paren10000.bt"
	check "$b 390-term sum" 0 '^391$' '' -- "$B" "$gen/plus390.bt"
	check "$b 100,000 nested !" 1 '' 'not100000.bt:1:412-100015: ERROR: nested too deeply: more than 400 levels' -- "$B" --dry-run "$gen/not100000.bt"
	check "$b 100,000-term sum" 1 '' 'ERROR: nested too deeply: more than 400 levels of expressions and blocks' -- "$B" --dry-run "$gen/plus100000.bt"
	check "$b 1,000 nested blocks" 1 '' '^HINT: split it into steps with \$variables' -- "$B" --dry-run "$gen/blocks1000.bt"
	check "$b str() of a numeric parameter is its text" 0 '^\[42\] \[\] \[43\]$' '' -- "$B" -e 'BEGIN { printf("[%s] [%s] [%d]\n", str($1), str($2), $1 + 1); exit(); }' 42
	check "$b a text parameter used as a number" 1 '' '^stdin:1:26-28: ERROR: \$1 used numerically but given "abc". Try using str\(\$1\).$' -- "$B" -e 'BEGIN { printf("[%d]\n", $1 + 1); exit(); }' abc
	check "$b str() of a text parameter" 0 '^\[abc\]$' '' -- "$B" -e 'BEGIN { printf("[%s]\n", str($1)); exit(); }' abc
	check "$b -l script args after -e" 0 '^7$' '' -- "$B" -e 'BEGIN { printf("%d\n", $1 + getopt("n", 0)); exit(); }' 4 --n=3
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
