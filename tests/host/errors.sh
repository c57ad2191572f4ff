#!/bin/bash
# tests/host/errors.sh: the diagnostics corpus. For each tests/errors/NAME.bt,
# `minibt --dry-run NAME.bt` must exit 1, print nothing on stdout and
# exactly NAME.err on stderr. Run against ./minibt, and against
# ./minibt-asan too when it exists (catches memory errors on error paths).
#   tests/host/errors.sh            check
#   tests/host/errors.sh --update   rewrite every .err from ./minibt
set -u
cd "$(dirname "$0")/../.."
update=0
[ "${1:-}" = "--update" ] && update=1
bins=("${MINIBT:-./minibt}")
[ -z "${MINIBT:-}" ] && [ -x ./minibt-asan ] && bins+=(./minibt-asan)
pass=0 fail=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
for bt in tests/errors/*.bt; do
	golden=${bt%.bt}.err
	for b in "${bins[@]}"; do
		ASAN_OPTIONS=detect_leaks=1 "$b" --dry-run "$bt" >"$out" 2>"$err"
		rc=$?
		if [ $update -eq 1 ] && [ "$b" = "${bins[0]}" ]; then
			cp "$err" "$golden"
			echo "updated $golden (exit $rc)"
		fi
		if [ $rc -eq 1 ] && [ ! -s "$out" ] && cmp -s "$err" "$golden"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL $bt with $b (exit $rc, want 1)"
			[ -s "$out" ] && { echo "  unexpected stdout:"; head -5 "$out"; }
			diff -u "$golden" "$err" | head -40
		fi
	done
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
