#!/bin/bash
# tests/vm/test-harness.sh [--vm]: test the case runner itself.
#
# Runs tests/vm/selftest.case with bpftrace standing in for minibt (every case
# must pass; kprobe cases are skipped natively), then the fixtures, whose
# cases must all FAIL with the right report.  With --vm, also runs
# selftest.case in the QEMU guest, where the kprobe and tcpretrans cases
# must pass too.  Ends with "N passed, M failed" over these checks.
set -u
cd "$(dirname "$0")/../.."
R=tests/vm/runcases
pass=0 fail=0
out=$(mktemp); trap 'rm -f "$out"' EXIT

ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; sed 's/^/    | /' "$out" | tail -n 60; fail=$((fail + 1)); }
# check NAME EXPECTED_RC LAST_LINE [GREP_PATTERN...] -- RUNCASES_ARGS...
check() {
	local name=$1 want_rc=$2 last=$3; shift 3
	local pats=()
	while [ "$1" != -- ]; do pats+=("$1"); shift; done
	shift
	"$R" "$@" >"$out" 2>&1
	local rc=$?
	if [ "$want_rc" = nonzero ] && [ $rc = 0 ] || [ "$want_rc" = 0 ] && [ $rc != 0 ]; then
		echo "    exit status $rc, expected $want_rc" >>"$out"; bad "$name"; return
	fi
	if [ "$(tail -n1 "$out")" != "$last" ]; then
		echo "    last line is not '$last'" >>"$out"; bad "$name"; return
	fi
	for p in "${pats[@]}"; do
		grep -qE -- "$p" "$out" || { echo "    no line matches /$p/" >>"$out"; bad "$name"; return; }
	done
	ok "$name"
}

BT=/usr/bin/bpftrace
n=$(grep -c '^NAME ' tests/vm/selftest.case)
check "selftest natively" 0 "$((n - 2)) passed, 0 failed" \
	'^SKIP selftest:kprobe fires in the guest$' -- --native --binary $BT tests/vm/selftest.case
check "a failing case fails" nonzero "0 passed, 1 failed" \
	'^FAIL fail:expected line is missing$' "missing expected line: 'goodbye'" '^      \| oops$' \
	-- --native --binary $BT tests/vm/fixtures/fail.case
check "broken cases all fail" nonzero "0 passed, 7 failed" \
	'^FAIL broken:wrong exit status$' 'exit status 4, expected 0' \
	'hung: the tracer did not exit after SIGINT' \
	"missing expected line after the earlier expected lines: 'b'" \
	"EXPECT_NONE 'ERROR' matches" '^      \+x 1$' '^      \+\+\+ minibt$' \
	'AFTER did not finish before the timeout' \
	-- --native --binary $BT tests/vm/fixtures/broken.case
check "parse errors fail" nonzero "0 passed, 1 failed" \
	"^FAIL tests/vm/fixtures/parse-error.case:3: unknown directive 'EXPECTT'$" \
	-- --native --binary $BT tests/vm/fixtures/parse-error.case
MINIBT_KERNEL_RELEASE=6.1.0-57-amd64 check "KERNEL on 6.1: its cases and expectations" 0 "2 passed, 0 failed" \
	'^PASS kernel:only before 6.12$' '^SKIP kernel:only from 6.12$' \
	'needs kernel >=6.12: this is 6.1.0-57-amd64' "^PASS kernel:each kernel's frame$" \
	-- --native --binary $BT tests/vm/fixtures/kernel.case
MINIBT_KERNEL_RELEASE=6.12.117+deb12-amd64 check "KERNEL on 6.12: the others" nonzero "1 passed, 1 failed" \
	'^SKIP kernel:only before 6.12$' '^PASS kernel:only from 6.12$' "^FAIL kernel:each kernel's frame$" \
	"missing expected line matching regex: '        sk_skb_reason_drop" "EXPECT_NONE 'end' matches" \
	-- --native --binary $BT tests/vm/fixtures/kernel.case
check "a malformed KERNEL condition is a parse error" nonzero "0 passed, 1 failed" \
	"^FAIL tests/vm/fixtures/kernel-parse-error.case:5: KERNEL needs a condition such as '<6.12'" \
	-- --native --binary $BT tests/vm/fixtures/kernel-parse-error.case
st=$(mktemp); rm -f "$st"
FLAKY_STATE=$st FLAKY_HANGS=1 MINIBT_TEST_ORACLE=tests/vm/fixtures/flaky-oracle.sh \
	check "an oracle that sat until the TIMEOUT runs again" 0 "1 passed, 0 failed" \
	'^PASS oracle:the oracle is run again' -- --native --binary $BT tests/vm/fixtures/oracle.case
rm -f "$st"
FLAKY_STATE=$st FLAKY_HANGS=2 MINIBT_TEST_ORACLE=tests/vm/fixtures/flaky-oracle.sh \
	check "an oracle that does it twice fails the case" nonzero "0 passed, 1 failed" \
	'^FAIL oracle:the oracle is run again' 'first oracle run hung .*ran it again' \
	-- --native --binary $BT tests/vm/fixtures/oracle.case
rm -f "$st"
# bpftrace's recorded output (runcases --oracle): recorded from a live run;
# used when minibt prints the same; a difference runs the oracle live,
# and the live run decides
rec=$(mktemp); rm -f "$rec"
export MINIBT_ORACLE_RECORD=$rec
MINIBT_TEST_ORACLE=tests/vm/fixtures/standin-oracle.sh \
	check "--oracle record runs the oracle live and records it" 0 "1 passed, 0 failed" \
	'recorded 1 oracle run' '1 live, 0 with its recorded output' \
	-- --native --binary $BT --oracle record --filter 'run again' tests/vm/fixtures/oracle.case
STANDIN_WRONG=1 MINIBT_TEST_ORACLE=tests/vm/fixtures/standin-oracle.sh \
	check "the record stands for the oracle when minibt prints the same" 0 "1 passed, 0 failed" \
	'0 live, 1 with its recorded output' \
	-- --native --binary $BT --filter 'run again' tests/vm/fixtures/oracle.case
STANDIN_WRONG=1 MINIBT_TEST_ORACLE=tests/vm/fixtures/standin-oracle.sh \
	check "--oracle live ignores the record" nonzero "0 passed, 1 failed" \
	"stdout differs from bpftrace's" '^      \+hi$' \
	-- --native --binary $BT --oracle live --filter 'run again' tests/vm/fixtures/oracle.case
sed -i 's/hi\\n/ho\\n/' "$rec"
STANDIN_WRONG=1 MINIBT_TEST_ORACLE=tests/vm/fixtures/standin-oracle.sh \
	check "a record that differs runs the oracle live, which decides" nonzero "0 passed, 1 failed" \
	"differs from bpftrace's recorded output: ran bpftrace live" "stdout differs from bpftrace's" \
	-- --native --binary $BT --filter 'run again' tests/vm/fixtures/oracle.case
MINIBT_TEST_ORACLE=tests/vm/fixtures/standin-oracle.sh \
	check "... and passes the case when the live run agrees" 0 "1 passed, 0 failed" \
	"differs from bpftrace's recorded output: ran bpftrace live" \
	-- --native --binary $BT --filter 'run again' tests/vm/fixtures/oracle.case
rm -f "$rec"
unset MINIBT_ORACLE_RECORD
check "--filter selects" 0 "1 passed, 0 failed" '^PASS selftest:EXPECT_NONE$' \
	-- --native --binary $BT --filter selftest:EXPECT_NONE tests/vm/selftest.case
check "a missing binary fails clearly" nonzero "0 passed, 1 failed" 'cannot run /nonexistent/minibt' \
	-- --native --binary /nonexistent/minibt --filter 'PROG runs' tests/vm/selftest.case
if [ "${1:-}" = --vm ]; then
	check "selftest in the guest" 0 "$n passed, 0 failed" \
		'^PASS selftest:kprobe fires in the guest$' \
		'^PASS selftest:tcpretrans.bt sees retransmits on a lossy lo$' \
		-- --vm --binary $BT tests/vm/selftest.case
	check "a failing case fails in the guest" nonzero "0 passed, 1 failed" \
		'^FAIL fail:expected line is missing$' -- --vm --binary $BT tests/vm/fixtures/fail.case
	check "a guest kernel panic: the case gets one more boot, the rest go on" nonzero "2 passed, 1 failed" \
		'^PASS guest-crash:before the crash$' '^PASS guest-crash:after the crash$' \
		'^NOTE guest-crash:crash the guest: the guest died .* re-run in a fresh guest' \
		'^FAIL guest-crash:crash the guest$' \
		'the guest died .* while this case ran \(second time\)' 'Kernel panic' \
		-- --vm --binary $BT tests/vm/fixtures/guest-crash.case
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
