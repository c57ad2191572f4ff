#!/usr/bin/python3
"""tcploss.py: a loopback TCP connection that loses exactly the segments asked.

    /usr/bin/python3 tests/tools/tcploss.py [--host 127.0.0.1|::1] --port P
        [--drop-in K] [--drop-out K] [--writes N] [--bytes B] [--timeout S]

Connects HOST:ANY -> HOST:P, sends a first message and waits for it (the
connection is then ESTABLISHED with an RTT), then inserts K iptables (ip6tables
for ::1) rules that each drop exactly one packet to port P:

  --drop-in K   in INPUT: the next K data segments are lost after they left
                the sender. The first loss of a flight's tail is repaired by
                a tail loss probe (tcp_send_loss_probe), the next ones by
                retransmission timeouts (tcp_retransmit_skb): K=1 gives one
                TLP and no retransmit, K=2 one TLP and one retransmit, K=3 one
                TLP and two retransmits (with --writes 1).
  --drop-out K  in OUTPUT: the next K transmissions are dropped by netfilter
                before they leave (kfree_skb reason NETFILTER_DROP, the
                socket set); TCP sends them again.

then writes N messages of B bytes (TCP_NODELAY, default 1 x 100), waits until
the server has them all and removes its rules (also on failure). Prints
`tcploss: HOST:SPORT -> HOST:P retransmits=R` (R from TCP_INFO) and exits 0,
or 1 if the data did not arrive within TIMEOUT seconds (default 20). Meant for
the test guest: it changes the firewall. Each rule matches -m statistic
--mode nth --every 1000000 --packet 0: it fires on the first packet it sees.
"""
import argparse
import ipaddress
import os
import socket
import struct
import subprocess
import sys
import threading
import time


def iptables(v6, args):
    cmd = ["ip6tables" if v6 else "iptables", "-w"] + args
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise OSError(f"{' '.join(cmd)}: {r.stderr.strip()}")


def rule(chain, port):
    return [chain, "-p", "tcp", "--dport", str(port), "-m", "statistic", "--mode", "nth",
            "--every", "1000000", "--packet", "0", "-j", "DROP"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--drop-in", type=int, default=0)
    ap.add_argument("--drop-out", type=int, default=0)
    ap.add_argument("--writes", type=int, default=1)
    ap.add_argument("--bytes", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=20.0)
    a = ap.parse_args()
    if os.environ.get("MINIBT_IN_VM") != "1" and os.environ.get("MINIBT_LOSSY_FORCE") != "1":
        sys.exit("tcploss: refusing to change the firewall outside the test guest "
                 "(run it via tests/vm/run-in-vm, or set MINIBT_LOSSY_FORCE=1)")
    if not ipaddress.ip_address(a.host).is_loopback:
        sys.exit(f"tcploss: {a.host} is not a loopback address")
    v6 = ":" in a.host
    # iptables-nft and the matches the rules use (autoloading misses some)
    for m in ("nf_tables", "nft_compat", "xt_statistic", "xt_tcpudp"):
        subprocess.run(["modprobe", "-q", m], capture_output=True)
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    deadline = time.monotonic() + a.timeout

    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.host, a.port))
    srv.listen(1)
    srv.settimeout(a.timeout)
    got = [0]
    cond = threading.Condition()

    def serve():
        try:
            c, _ = srv.accept()
            c.settimeout(a.timeout)
            with c:
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    with cond:
                        got[0] += len(b)
                        cond.notify_all()
        except OSError:
            pass

    def wait_for(n):
        with cond:
            while got[0] < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                cond.wait(left)
        return True

    threading.Thread(target=serve, daemon=True).start()
    cli = socket.socket(fam, socket.SOCK_STREAM)
    cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    cli.settimeout(a.timeout)
    cli.connect((a.host, a.port))
    sport = cli.getsockname()[1]
    cli.sendall(b"h" * 100)
    if not wait_for(100):
        sys.exit("tcploss: the first message did not arrive")
    time.sleep(0.05)  # its ACK is back: the flight is empty
    rules = [rule("INPUT", a.port)] * a.drop_in + [rule("OUTPUT", a.port)] * a.drop_out
    added = []
    ok = False
    try:
        for r in rules:
            iptables(v6, ["-I"] + r)
            added.append(r)
        for _ in range(a.writes):
            cli.sendall(b"x" * a.bytes)
        ok = wait_for(100 + a.writes * a.bytes)
    finally:
        for r in added:
            try:
                iptables(v6, ["-D"] + r)
            except OSError as e:
                print(f"tcploss: {e}", file=sys.stderr)
    # tcp_info: 8 bytes of u8s, then u32 rto, ato, snd_mss, rcv_mss, unacked,
    # sacked, lost, retrans, fackets, last_* x4, pmtu, rcv_ssthresh, rtt,
    # rttvar, snd_ssthresh, snd_cwnd, advmss, reordering, rcv_rtt, rcv_space,
    # total_retrans (the 24th u32)
    info = cli.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    total_retrans = struct.unpack_from("I", info, 8 + 23 * 4)[0]
    # A graceful close, each side reading the other's FIN: a closed socket
    # that gets the peer's FIN with the ACK of its own frees that FIN as a
    # drop (6.12: reason QUEUE_PURGE, which tcpdrop prints), and whether the
    # FIN came with the ACK depended on timing.
    try:
        cli.shutdown(socket.SHUT_WR)
        while cli.recv(65536):
            pass
    except OSError:
        pass
    cli.close()
    srv.close()
    if not ok:
        sys.exit(f"tcploss: only {got[0]} of {100 + a.writes * a.bytes} bytes arrived")
    print(f"tcploss: {a.host}:{sport} -> {a.host}:{a.port} retransmits={total_retrans}", flush=True)


if __name__ == "__main__":
    main()
