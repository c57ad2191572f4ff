#!/usr/bin/env python3
"""tests/tools/elfsym.py FILE SYMBOL: print SYMBOL's address in FILE's
.dynsym or .symtab as 0x..., exit 1 if absent (a plain ELF64 reader)."""
import struct, sys

def main(path, want):
    d = open(path, "rb").read()
    shoff, = struct.unpack_from("<Q", d, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", d, 0x3a)
    secs = [struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize) for i in range(shnum)]
    for (_, typ, _, _, off, size, link, _, _, entsize) in secs:
        if typ not in (2, 11) or not entsize:  # SHT_SYMTAB, SHT_DYNSYM
            continue
        stroff = secs[link][4]
        for k in range(size // entsize):
            name, info, _, shndx, value, _ = struct.unpack_from("<IBBHQQ", d, off + k * entsize)
            end = d.index(b"\0", stroff + name)
            if d[stroff + name:end].split(b"@")[0] == want.encode() and value and shndx:
                print(hex(value))
                return 0
    return 1

sys.exit(main(sys.argv[1], sys.argv[2]))
