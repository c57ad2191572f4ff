#!/bin/bash
# tests/host/install.sh: `make install` and `make uninstall` into a temporary
# DESTDIR, with a PREFIX other than the default. Checks that minibt, the
# tools (executable, their #! line naming the installed minibt, compiling
# with it), the man pages (rendering without groff or man warnings) and the
# example files land where they should, that nothing outside DESTDIR/PREFIX
# is written, and that uninstall removes every file it installed.
set -u
cd "$(dirname "$0")/../.."
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then ok; else bad "$what"; fi
}

[ -x ./minibt ] || { echo "FAIL ./minibt is not built (make)"; echo "0 passed, 1 failed"; exit 1; }
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
prefix=/opt/minibt-test
root=$dest$prefix
log=$dest.log

if make -s install DESTDIR="$dest" PREFIX="$prefix" >"$log" 2>&1; then ok; else
	bad "make install DESTDIR=$dest PREFIX=$prefix:"; sed 's/^/    /' "$log"
fi
rm -f "$log"

# only under DESTDIR/PREFIX
stray=$(cd "$dest" && find . -mindepth 1 \( -type f -o -type l \) | grep -v "^\.$prefix/" || true)
[ -z "$stray" ] && ok || bad "files outside PREFIX: $stray"

check "bin/minibt is executable" test -x "$root/bin/minibt"
check "bin/minibt is this build" cmp "$root/bin/minibt" ./minibt
check "the installed minibt runs" "$root/bin/minibt" --version

ntools=0
for s in scripts/*.bt; do
	t=$root/sbin/$(basename "$s")
	ntools=$((ntools + 1))
	check "$t is an executable file" test -f "$t" -a -x "$t"
	first=$(head -n1 "$t")
	[ "$first" = "#!$prefix/bin/minibt" ] && ok || bad "$t: #! line is '$first', not '#!$prefix/bin/minibt'"
	# the rest is the script as it is in the tree
	cmp -s <(tail -n +2 "$t") <(tail -n +2 "$s") && ok || bad "$t differs from $s after the #! line"
	# what the kernel does with the #! line: run the installed minibt on it
	check "$t compiles with the installed minibt (--dry-run)" "$root/bin/minibt" --dry-run "$t"
	if [ -r /sys/kernel/btf/vmlinux ]; then
		# and as a command: the kernel starts PREFIX/bin/minibt (run
		# through a copy whose #! line points into DESTDIR)
		sed "1s|^#!.*|#!$root/bin/minibt --dry-run|" "$t" > "$dest/run.bt" && chmod 755 "$dest/run.bt"
		check "$t runs as a command" "$dest/run.bt"
	fi
done
[ $ntools -ge 2 ] && ok || bad "expected at least tcpretrans.bt and tcpdrop.bt in scripts/ ($ntools)"
check "tcpretrans.bt -h as an installed command" bash -c "'$root/bin/minibt' --dry-run '$root/sbin/tcpretrans.bt' -h"

for m in man/*.8; do
	p=$root/share/man/man8/$(basename "$m")
	check "$p installed" cmp "$p" "$m"
	# a stray control character (a "\f" that became a form feed) renders as garbage
	! LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n\t' <"$m") && ok || bad "$m has control characters"
	w=$(groff -ww -man -Tutf8 "$p" 2>&1 >/dev/null)
	[ -z "$w" ] && ok || bad "groff -ww warns about $p: $w"
	if command -v man >/dev/null; then
		w=$(MANWIDTH=80 man -l "$p" 2>&1 >/dev/null)
		[ -z "$w" ] && ok || bad "man -l $p prints on stderr: $w"
		n=$(MANWIDTH=80 man -l "$p" 2>/dev/null | grep -c '^NAME')
		[ "$n" = 1 ] && ok || bad "man -l $p: no NAME section"
	fi
done
for e in scripts/*_example.txt; do
	check "$(basename "$e") in share/doc/minibt" cmp "$root/share/doc/minibt/$(basename "$e")" "$e"
done

if make -s uninstall DESTDIR="$dest" PREFIX="$prefix" >/dev/null 2>&1; then ok; else bad "make uninstall"; fi
rm -f "$dest/run.bt"
left=$(cd "$dest" && find . \( -type f -o -type l \) | sort)
[ -z "$left" ] && ok || bad "files left after uninstall: $left"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
