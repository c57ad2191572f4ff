#!/usr/bin/python3
"""tcpxfer.py: one bounded TCP transfer over loopback, to trigger TCP events.

    /usr/bin/python3 tests/vm/tcpxfer.py [--host 127.0.0.1|::1] [--port N]
                                         [--bytes N] [--mss N] [--timeout S]

Listens on HOST:PORT (port 0 = any free one), connects to it, sends BYTES
(default 300000) in 16 KiB writes, the server reads them all, both close.
An MSS of 16000 (the default; 0 = the 64 KiB of lo) makes ~20 segments: under
`tests/vm/lossy-link.sh on` (20% loss) several retransmit, usually within 1 s.
Prints one line `tcpxfer: sent N bytes HOST:SPORT -> HOST:PORT in T s`.
Exits 1 if the transfer did not finish within TIMEOUT seconds (default 90:
under 20% loss a FIN or the last segments can take several doubling RTOs).
Only loopback addresses are accepted.
"""
import argparse
import ipaddress
import socket
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bytes", type=int, default=300000)
    ap.add_argument("--mss", type=int, default=16000)
    ap.add_argument("--timeout", type=float, default=90.0)
    a = ap.parse_args()
    if not ipaddress.ip_address(a.host).is_loopback:
        sys.exit(f"tcpxfer: {a.host} is not a loopback address")
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    deadline = time.monotonic() + a.timeout

    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.host, a.port))
    srv.listen(1)
    srv.settimeout(a.timeout)
    port = srv.getsockname()[1]
    got = [0]
    err = []

    def serve():
        try:
            c, _ = srv.accept()
            c.settimeout(max(0.1, deadline - time.monotonic()))
            with c:
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    got[0] += len(b)
        except OSError as e:
            err.append(f"server: {e}")

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    t0 = time.monotonic()
    cli = socket.socket(fam, socket.SOCK_STREAM)
    try:
        if a.mss:
            cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, a.mss)
        cli.settimeout(max(0.1, deadline - time.monotonic()))
        cli.connect((a.host, port))
        sport = cli.getsockname()[1]
        chunk = b"x" * 16384
        left = a.bytes
        while left > 0:
            n = cli.send(chunk[:min(left, len(chunk))])
            left -= n
        cli.shutdown(socket.SHUT_WR)
    except OSError as e:
        sys.exit(f"tcpxfer: client: {e}")
    t.join(max(0.1, deadline - time.monotonic()))
    cli.close()
    srv.close()
    if t.is_alive() or err or got[0] != a.bytes:
        sys.exit(f"tcpxfer: transfer incomplete: {got[0]} of {a.bytes} bytes {' '.join(err)}")
    print(f"tcpxfer: sent {a.bytes} bytes {a.host}:{sport} -> {a.host}:{port} "
          f"in {time.monotonic() - t0:.2f} s", flush=True)


if __name__ == "__main__":
    main()
