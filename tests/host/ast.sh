#!/bin/bash
# tests/host/ast.sh: golden AST dumps. For each tests/ast/NAME.bt, the
# output of `minibt -d ast NAME.bt` (stdout and stderr) must equal
# NAME.ast byte for byte, and minibt must exit 0.
#   tests/host/ast.sh            check
#   tests/host/ast.sh --update   rewrite every .ast from the current build
set -u
cd "$(dirname "$0")/../.."
. tests/host/golden.inc
for bt in tests/ast/*.bt; do
	golden=${bt%.bt}.ast
	"$B" -d ast "$bt" >"$out" 2>&1
	golden "$bt" $? "$out" "$golden"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
