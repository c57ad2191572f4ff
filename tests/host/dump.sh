#!/bin/bash
# tests/host/dump.sh: golden `-d bpf` and `-d ir` dumps. For each
# tests/dump/NAME.bt, `minibt -d bpf NAME.bt` must equal NAME.bpf and
# `minibt -d ir NAME.bt` NAME.ir (stdout and stderr), and exit 0. The IR
# names the script file /proc/self/fd/N (the memfd of line info): N is
# masked. Goldens follow LLVM 19 and this kernel's tracefs formats.
#   tests/host/dump.sh            check
#   tests/host/dump.sh --update   rewrite the goldens from the current build
set -u
cd "$(dirname "$0")/../.."
. tests/host/golden.inc
for bt in tests/dump/*.bt; do
	for mode in bpf ir; do
		golden=${bt%.bt}.$mode
		"$B" -d $mode "$bt" 2>&1 | sed -E 's|/proc/self/fd/[0-9]+|/proc/self/fd/N|g' >"$out"
		golden "$bt -d $mode" "${PIPESTATUS[0]}" "$out" "$golden"
	done
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
