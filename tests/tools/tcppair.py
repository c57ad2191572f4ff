#!/usr/bin/python3
"""tcppair.py: loopback TCP connections with a fixed life, for the TCP tools.

    /usr/bin/python3 tests/tools/tcppair.py [--host 127.0.0.1|::1] --port P
        [--conns N] [--backlog B] [--bytes K]

Listens on HOST:P with listen(B) (default 8), connects N clients (default
1) one after the other, each waiting until the server's kernel finished its
handshake (so the listener's accept queue holds 0, 1, ... N-1 connections
when the next one arrives: tcpsynbl.bt's histogram), then accepts them all
in order. Each client then sends K KiB (default 0) that the server reads
whole, closes its end, the server sees EOF and closes its end: the client's
socket closes first, then the server's (tcplife.bt's order). --server-closes:
the server closes first (its socket goes through FIN_WAIT and TIME_WAIT,
never SYN_SENT or LAST_ACK), then the client. Prints nothing; exits 0, or 1
on a timeout (10 s).
"""
import argparse
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--backlog", type=int, default=8)
    ap.add_argument("--bytes", type=int, default=0, help="KiB each client sends")
    ap.add_argument("--server-closes", action="store_true")
    a = ap.parse_args()
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.host, a.port))
    srv.listen(a.backlog)
    srv.settimeout(10)
    clients = []
    for _ in range(a.conns):
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.settimeout(10)
        c.connect((a.host, a.port))
        # connect() returns once the SYN-ACK came back; the server side
        # completes when the final ACK is processed (synchronously on
        # loopback, but give it a moment under TCG)
        time.sleep(0.05)
        clients.append(c)
    for c in clients:
        s, _ = srv.accept()
        s.settimeout(10)
        want = a.bytes * 1024
        if want:
            c.sendall(b"x" * want)
        got = 0
        while got < want:
            d = s.recv(65536)
            if not d:
                break
            got += len(d)
        if got != want:
            print(f"tcppair: server got {got} of {want} bytes", file=sys.stderr)
            return 1
        first, second = (s, c) if a.server_closes else (c, s)
        first.shutdown(socket.SHUT_WR)
        if second.recv(1) != b"":
            print("tcppair: expected EOF", file=sys.stderr)
            return 1
        second.close()
        first.close()
        time.sleep(0.05)
    srv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
