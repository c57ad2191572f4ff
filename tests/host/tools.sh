#!/bin/bash
# tests/host/tools.sh: every tool script bpftrace 0.17 ships (/usr/sbin/*.bt)
# either passes `minibt --dry-run` or is rejected with exactly the errors
# listed here (warnings, e.g. about kprobe functions this kernel lacks, are
# ignored). A script missing from the list, or a list entry with no
# script, is a failure too, so the list stays complete.
#
# Outcome syntax: "pass"; "error: MSG1|MSG2" (exit 1, and the distinct
# ERROR messages, sorted, are exactly these); "kernel: MESSAGE" (depends on the kernel: pass, or exactly
# that error, which bpftrace 0.17 gives on such kernels too).
set -u
cd "$(dirname "$0")/../.."
B=${MINIBT:-./minibt}
DIR=${TOOLS_DIR:-/usr/sbin}

declare -A expect=(
	[bashreadline]=pass
	[biolatency]=pass
	[biosnoop]=pass
	[biostacks]=pass
	[bitesize]=pass
	[capable]=pass
	[cpuwalk]=pass
	[dcsnoop]=pass
	[execsnoop]=pass
	[gethostlatency]=pass
	[killsnoop]=pass
	[loads]="kernel: Failed to resolve kernel symbol: avenrun"
	[mdflush]=pass
	[naptime]=pass
	[oomkill]=pass
	[opensnoop]=pass
	[pidpersec]=pass
	[runqlat]=pass
	[runqlen]="kernel: Struct/union of type 'struct cfs_rq' does not contain a field named 'nr_running'"
	[setuids]=pass
	[ssllatency]=pass
	[sslsnoop]=pass
	[statsnoop]=pass
	[swapin]=pass
	[syncsnoop]=pass
	[syscount]=pass
	[tcpaccept]=pass
	[tcpconnect]=pass
	[tcpdrop]=pass
	[tcplife]=pass
	[tcpretrans]=pass
	[tcpsynbl]=pass
	[threadsnoop]=pass
	[undump]=pass
	[vfscount]=pass
	[vfsstat]=pass
	[writeback]=pass
	[xfsdist]=pass
)

pass=0 fail=0
err=$(mktemp)
trap 'rm -f "$err"' EXIT
declare -A seen=()
for f in "$DIR"/*.bt; do
	[ -f "$f" ] || continue
	t=$(basename "$f" .bt)
	seen[$t]=1
	want=${expect[$t]:-}
	if [ -z "$want" ]; then
		echo "FAIL $t: not in the list of tools.sh"
		fail=$((fail + 1))
		continue
	fi
	"$B" --dry-run "$f" >/dev/null 2>"$err"
	rc=$?
	msgs=$(sed -n 's/^[^ ]*: ERROR: //p' "$err" | sort -u | paste -sd'|')
	ok=0
	case $want in
	pass) [ $rc -eq 0 ] && ok=1 ;;
	error:*) [ $rc -eq 1 ] && [ "$msgs" = "${want#error: }" ] && ok=1 ;;
	kernel:*) { [ $rc -eq 0 ] || { [ $rc -eq 1 ] && [ "$msgs" = "${want#kernel: }" ]; }; } && ok=1 ;;
	esac
	if [ $ok -eq 1 ]; then
		pass=$((pass + 1))
		echo "ok   $t ($want)"
	else
		fail=$((fail + 1))
		echo "FAIL $t: want $want, got exit $rc"
		sed 's/^/    /' "$err" | head -20
	fi
done
for t in "${!expect[@]}"; do
	if [ -z "${seen[$t]:-}" ]; then
		echo "FAIL $t: listed but $DIR/$t.bt does not exist"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
