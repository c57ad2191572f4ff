#!/bin/sh
# tests/vm/lossy-link.sh: make a network device drop packets, or stop that.
#
#   tests/vm/lossy-link.sh on [--no-tlp] [LOSS] [DEV]
#                      netem loss LOSS (default 20%) on DEV (default lo);
#                      --no-tlp also turns tail loss probes off
#                      (net.ipv4.tcp_early_retrans=0, IPv4 and IPv6)
#   tests/vm/lossy-link.sh off [DEV]   remove the root qdisc again, and
#                      restore tcp_early_retrans if --no-tlp changed it
#   tests/vm/lossy-link.sh status [DEV]
#
# Any TCP transfer over the device then retransmits (tests/vm/tcpxfer.py).
# Why --no-tlp: a tail loss probe that resends a segment goes through
# __tcp_retransmit_skb, not tcp_retransmit_skb, so tcpretrans.bt without -l
# does not print it, yet tcp_info counts it: with TLP off, every retransmit
# `tcpxfer.py --retrans N` counts is one that tcpretrans.bt prints.
# Meant for the test guest: it refuses to run elsewhere (it would make the
# host's loopback lossy for everyone) unless MINIBT_LOSSY_FORCE=1.
set -eu
cmd=${1:-}
[ "${MINIBT_IN_VM:-}" = 1 ] || [ "${MINIBT_LOSSY_FORCE:-}" = 1 ] || {
	echo "lossy-link.sh: refusing to change qdiscs outside the test guest" \
	     "(run it via tests/vm/run-in-vm, or set MINIBT_LOSSY_FORCE=1)" >&2
	exit 2
}
TLP=/proc/sys/net/ipv4/tcp_early_retrans # no sysctl(8): procps may be missing
SAVED=/run/minibt-lossy-link.tcp_early_retrans
case $cmd in
on)
	shift
	if [ "${1:-}" = --no-tlp ]; then
		shift
		[ -e "$SAVED" ] || cat "$TLP" >"$SAVED"
		echo 0 >"$TLP"
	fi
	loss=${1:-20%} dev=${2:-lo}
	modprobe sch_netem 2>/dev/null || true
	tc qdisc replace dev "$dev" root netem loss "$loss"
	;;
off)
	dev=${2:-lo}
	tc qdisc del dev "$dev" root 2>/dev/null || true
	if [ -e "$SAVED" ]; then
		cat "$SAVED" >"$TLP" && rm -f "$SAVED"
	fi
	;;
status)
	tc qdisc show dev "${2:-lo}"
	;;
*)
	echo "usage: lossy-link.sh on [--no-tlp] [LOSS] [DEV] | off [DEV] | status [DEV]" >&2
	exit 2
	;;
esac
