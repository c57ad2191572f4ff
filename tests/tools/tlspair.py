#!/usr/bin/env python3
"""tests/tools/tlspair.py [--rounds N]: a TLS handshake and an echo over
127.0.0.1 through python's ssl module (libssl.so.3): a self-signed
certificate made with openssl(1) in a temporary directory, a server
thread, a client; bounded, loopback only."""
import argparse, os, socket, ssl, subprocess, sys, tempfile, threading

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=1)
a = ap.parse_args()
d = tempfile.mkdtemp()
key, crt = os.path.join(d, "k.pem"), os.path.join(d, "c.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                "-subj", "/CN=localhost", "-days", "1"], check=True, capture_output=True)
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(crt, key)
cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
cctx.load_verify_locations(crt)
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(4)
ls.settimeout(20)
port = ls.getsockname()[1]


def serve():
    for _ in range(a.rounds):
        c, _ = ls.accept()
        with sctx.wrap_socket(c, server_side=True) as s:
            s.sendall(s.recv(64))


t = threading.Thread(target=serve)
t.start()
for _ in range(a.rounds):
    with cctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="localhost") as s:
        s.sendall(b"minibt")
        assert s.recv(64) == b"minibt"
t.join()
print("tls ok", file=sys.stderr)
