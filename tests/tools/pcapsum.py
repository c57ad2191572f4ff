#!/usr/bin/env python3
"""tests/tools/pcapsum.py FILE: a libpcap file's link type and, per
record, its length and the IP version/protocol of its first bytes."""
import struct, sys

d = open(sys.argv[1], "rb").read()
magic, vmaj, vmin, _, _, snap, link = struct.unpack_from("<IHHiIII", d, 0)
print(f"magic {magic:#x} version {vmaj}.{vmin} linktype {link}")
off = 24
while off + 16 <= len(d):
    sec, usec, incl, orig = struct.unpack_from("<IIII", d, off)
    pkt = d[off + 16:off + 16 + incl]
    ver = pkt[0] >> 4 if pkt else 0
    proto = pkt[9] if ver == 4 and len(pkt) > 9 else -1
    print(f"record {incl} bytes ipv{ver} proto {proto} time {'ok' if sec > 1600000000 else 'bad'}")
    off += 16 + incl
