#!/bin/sh
# tests/vm/lossy-link.sh: make a network device drop packets, or stop that.
#
#   tests/vm/lossy-link.sh on [LOSS] [DEV]   netem loss LOSS (default 20%) on DEV (default lo)
#   tests/vm/lossy-link.sh off [DEV]         remove the root qdisc again
#   tests/vm/lossy-link.sh status [DEV]
#
# Any TCP transfer over the device then retransmits (tests/vm/tcpxfer.py).
# Meant for the test guest: it refuses to run elsewhere (it would make the
# host's loopback lossy for everyone) unless MINIBT_LOSSY_FORCE=1.
set -eu
cmd=${1:-}
[ "${MINIBT_IN_VM:-}" = 1 ] || [ "${MINIBT_LOSSY_FORCE:-}" = 1 ] || {
	echo "lossy-link.sh: refusing to change qdiscs outside the test guest" \
	     "(run it via tests/vm/run-in-vm, or set MINIBT_LOSSY_FORCE=1)" >&2
	exit 2
}
case $cmd in
on)
	loss=${2:-20%} dev=${3:-lo}
	modprobe sch_netem 2>/dev/null || true
	tc qdisc replace dev "$dev" root netem loss "$loss"
	;;
off)
	dev=${2:-lo}
	tc qdisc del dev "$dev" root 2>/dev/null || true
	;;
status)
	tc qdisc show dev "${2:-lo}"
	;;
*)
	echo "usage: lossy-link.sh on [LOSS] [DEV] | off [DEV] | status [DEV]" >&2
	exit 2
	;;
esac
