#!/usr/bin/python3
"""tcpxfer.py: one bounded TCP transfer over loopback, to trigger TCP events.

    /usr/bin/python3 tests/vm/tcpxfer.py [--host 127.0.0.1|::1] [--port N]
                                         [--bytes N] [--mss N] [--timeout S]
                                         [--retrans N]

Listens on HOST:PORT (port 0 = any free one), connects to it, sends BYTES
(default 300000) in 16 KiB writes, the server reads them all, both close.
An MSS of 16000 (the default; 0 = the 64 KiB of lo) makes ~20 segments: under
`tests/vm/lossy-link.sh on` (20% loss) several retransmit, usually within 1 s.
Prints one line `tcpxfer: sent N bytes HOST:SPORT -> HOST:PORT in T s`.
Exits 1 if the transfer did not finish within TIMEOUT seconds (default 90:
under 20% loss a FIN or the last segments can take several doubling RTOs).

--retrans N makes the retransmits certain, for tests that expect them: the
transfer is repeated (a new client port each time, same server port) until
one client socket retransmitted at least N segments after its handshake
(tcp_info's total_retrans; SYN retransmits are not counted), so they are in
ESTABLISHED or FIN_WAIT1. Random loss leaves a transfer without one now and
then. total_retrans also counts tail loss probes, which tcpretrans.bt
without -l does not print: use `lossy-link.sh on --no-tlp` with it. Once
the server has every byte and N retransmits were seen, tcpxfer does not
wait for the FIN handshake (it can sit in RTO backoff for a minute).
Exits 1 if no attempt got there within TIMEOUT seconds.
Only loopback addresses are accepted.
"""
import argparse
import ipaddress
import socket
import struct
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
    ap.add_argument("--retrans", type=int, default=0)
    a = ap.parse_args()
    if not ipaddress.ip_address(a.host).is_loopback:
        sys.exit(f"tcpxfer: {a.host} is not a loopback address")
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    deadline = time.monotonic() + a.timeout

    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.host, a.port))
    srv.listen(1)
    port = srv.getsockname()[1]
    attempt = 0
    while True:
        attempt += 1
        t0 = time.monotonic()
        sport, got, done, retrans = transfer(a, fam, srv, port, deadline)
        if a.retrans and retrans >= a.retrans:
            break
        if not a.retrans and done:
            break
        if time.monotonic() >= deadline or (not a.retrans and not done):
            srv.close()
            if a.retrans:
                sys.exit(f"tcpxfer: {attempt} transfers, none with {a.retrans} "
                         f"retransmits within {a.timeout:g} s (is the link lossy?)")
            sys.exit(f"tcpxfer: transfer incomplete: {got} of {a.bytes} bytes")
    srv.close()
    how = "" if done else ", FIN handshake left to the kernel"
    extra = f", {retrans} retransmits, attempt {attempt}{how}" if a.retrans else ""
    print(f"tcpxfer: sent {a.bytes} bytes {a.host}:{sport} -> {a.host}:{port} "
          f"in {time.monotonic() - t0:.2f} s{extra}", flush=True)


def total_retrans(sock):
    """struct tcp_info's tcpi_total_retrans: 8 bytes of u8 fields, then u32s."""
    return struct.unpack_from("I", sock.getsockopt(socket.IPPROTO_TCP,
                                                   socket.TCP_INFO, 104), 100)[0]


def transfer(a, fam, srv, port, deadline):
    """One connection: send a.bytes, wait for the server to read them.
    Returns (client port, bytes the server got, finished, retransmits after
    the handshake)."""
    got = [0]
    fin = threading.Event()

    def serve():
        try:
            srv.settimeout(max(0.1, deadline - time.monotonic()))
            c, _ = srv.accept()
            c.settimeout(max(0.1, deadline - time.monotonic()))
            with c:
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    got[0] += len(b)
            fin.set()
        except OSError as e:
            print(f"tcpxfer: server: {e}", file=sys.stderr)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    cli = socket.socket(fam, socket.SOCK_STREAM)
    try:
        if a.mss:
            cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, a.mss)
        cli.settimeout(max(0.1, deadline - time.monotonic()))
        cli.connect((a.host, port))
        syn = total_retrans(cli)
        sport = cli.getsockname()[1]
        chunk = b"x" * 16384
        left = a.bytes
        while left > 0:
            n = cli.send(chunk[:min(left, len(chunk))])
            left -= n
        cli.shutdown(socket.SHUT_WR)
    except OSError as e:
        sys.exit(f"tcpxfer: client: {e}")
    retrans = 0
    while not fin.wait(0.05) and time.monotonic() < deadline:
        retrans = total_retrans(cli) - syn
        if a.retrans and retrans >= a.retrans and got[0] == a.bytes:
            break
    retrans = total_retrans(cli) - syn
    cli.close()
    return sport, got[0], fin.is_set() and got[0] == a.bytes, retrans

if __name__ == "__main__":
    main()
