#!/usr/bin/python3
"""kdcpoke.py - small network helpers for tests/interop/kdc_hostile.sh.

  proxy LPORT KDCPORT DIR   UDP proxy on 127.0.0.1:LPORT in front of the KDC;
                            writes each request/reply as DIR/req-N / rep-N
  tcp PORT FILE [mutate]    send FILE over TCP; print the reply kind
                            (mutate: change the nonce of a KDC-REQ body)
  udp PORT FILE [OUT]       send FILE over UDP; print the reply kind
  dropproxy LPORT KPORT DIR forward UDP and TCP on LPORT to the KDC on
                            KPORT, but drop every UDP reply to a TGS-REQ
                            (a lost datagram); count in DIR/udp-dropped
                            and DIR/tcp-forwarded
  garbage PORT [ASREQ]      hostile packets over UDP and TCP
  tiny PORT ASREQ           from one UDP socket: the 2-byte datagrams
                            6a 00 and 6c 00, then ASREQ; print the kind of
                            every reply ('|'-joined) until 2 s after the
                            last (a KDC answers one socket's datagrams in
                            order, so an answer to the tiny ones comes first)
"""
import os
import socket
import struct
import sys


def tlv(buf, off):
    """(tag byte, header length, content length) of the TLV at off."""
    tag = buf[off]
    n = buf[off + 1]
    if n < 0x80:
        return tag, 2, n
    k = n & 0x7F
    return tag, 2 + k, int.from_bytes(buf[off + 2:off + 2 + k], "big")


def children(buf, off, end):
    while off < end:
        tag, h, n = tlv(buf, off)
        yield tag, off, h, n
        off += h + n


def kind(rep):
    if not rep:
        return "no reply"
    app = rep[0] & 0x1F
    names = {11: "AS-REP", 13: "TGS-REP", 30: "error"}
    if app == 30:
        # KRB-ERROR: [APPLICATION 30] SEQUENCE { ... [6] error-code ... }
        _, h, n = tlv(rep, 0)
        _, h2, n2 = tlv(rep, h)
        for tag, off, hh, nn in children(rep, h + h2, h + h2 + n2):
            if tag == 0xA6:
                _, ih, inn = tlv(rep, off + hh)
                return "error %d" % int.from_bytes(rep[off + hh + ih:off + hh + ih + inn], "big", signed=True)
    return names.get(app, "unknown %d" % app)


def mutate_nonce(req):
    """Flip bits in the nonce ([7] of KDC-REQ-BODY, [4] of KDC-REQ)."""
    req = bytearray(req)
    _, h, n = tlv(req, 0)
    _, h2, n2 = tlv(req, h)
    for tag, off, hh, nn in children(req, h + h2, h + h2 + n2):
        if tag == 0xA4:
            _, bh, bn = tlv(req, off + hh)
            start = off + hh + bh
            for t2, o2, h3, n3 in children(req, start, start + bn):
                if t2 == 0xA7:
                    _, ih, inn = tlv(req, o2 + h3)
                    req[o2 + h3 + ih + inn - 1] ^= 0x55
                    return bytes(req)
    raise SystemExit("no nonce found")


def tcp_recv_msg(c):
    buf = b""
    while len(buf) < 4:
        d = c.recv(4 - len(buf))
        if not d:
            return None
        buf += d
    n = struct.unpack(">I", buf)[0]
    msg = b""
    while len(msg) < n:
        d = c.recv(n - len(msg))
        if not d:
            return None
        msg += d
    return msg


def tcp_send(port, data, timeout=3):
    s = socket.create_connection(("127.0.0.1", port), timeout)
    s.sendall(struct.pack(">I", len(data)) + data)
    rep = tcp_recv_msg(s)
    s.close()
    return rep or b""


def udp_send(port, data, timeout=3):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(data, ("127.0.0.1", port))
    try:
        return s.recv(65535)
    except socket.timeout:
        return b""


def proxy(lport, kport, outdir):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", lport))
    i = 0
    while True:
        data, peer = s.recvfrom(65535)
        i += 1
        with open(os.path.join(outdir, "req-%d" % i), "wb") as f:
            f.write(data)
        rep = udp_send(kport, data)
        with open(os.path.join(outdir, "rep-%d" % i), "wb") as f:
            f.write(rep)
        if rep:
            s.sendto(rep, peer)


def bump(path):
    n = int(open(path).read()) if os.path.exists(path) else 0
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % (n + 1))
    os.replace(path + ".tmp", path)


def dropproxy(lport, kport, outdir):
    import threading

    def tcp_side():
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", lport))
        ls.listen(16)
        while True:
            c, _ = ls.accept()
            c.settimeout(5)
            try:
                while True:
                    msg = tcp_recv_msg(c)
                    if msg is None:
                        break
                    rep = tcp_send(kport, msg)
                    bump(os.path.join(outdir, "tcp-forwarded"))
                    c.sendall(struct.pack(">I", len(rep)) + rep)
            except OSError:
                pass
            c.close()

    threading.Thread(target=tcp_side, daemon=True).start()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", lport))
    while True:
        data, peer = s.recvfrom(65535)
        rep = udp_send(kport, data)
        if data[:1] == b"\x6c":
            bump(os.path.join(outdir, "udp-dropped"))
            continue
        if rep:
            s.sendto(rep, peer)


def garbage(port, asreq_file=None):
    pkts = [b"", b"\x00", b"\x6a", b"\x6c\x84\xff\xff\xff\xff", b"\x6a\x80\x00\x00",
            b"\x30\x03\x02\x01\x05", b"\x7e\x03\x02\x01\x05", b"\x6e\x05\x30\x03\x02\x01\x05",
            os.urandom(50), b"\x6a\x82\x01\x00" + os.urandom(256), b"\x6c\x10" + b"\xa1" * 16]
    # a real AS-REQ (MIT's, from the fuzz corpus) cut at many lengths
    asreq = open(asreq_file, "rb").read() if asreq_file else b""
    pkts += [asreq[:k] for k in range(0, len(asreq), 7)]
    for p in pkts:
        udp_send(port, p, timeout=0.05)
    for p in pkts:
        try:
            s = socket.create_connection(("127.0.0.1", port), 2)
            s.sendall(struct.pack(">I", len(p)) + p)
            s.settimeout(0.3)
            try:
                s.recv(65535)
            except (socket.timeout, ConnectionResetError):
                pass
            s.close()
        except OSError:
            pass
    # a length prefix with the high bit, and one that lies
    for hdr in (b"\x80\x00\x00\x10", b"\x00\x00\x10\x00", b"\x7f\xff\xff\xff"):
        try:
            s = socket.create_connection(("127.0.0.1", port), 2)
            s.sendall(hdr + b"\x6a\x03")
            s.settimeout(0.3)
            try:
                s.recv(65535)
            except (socket.timeout, ConnectionResetError):
                pass
            s.close()
        except OSError:
            pass
    print("sent %d packets" % (2 * len(pkts) + 3))


def tiny(port, asreq_file):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for p in (b"\x6a\x00", b"\x6c\x00", open(asreq_file, "rb").read()):
        s.sendto(p, ("127.0.0.1", port))
    kinds = []
    s.settimeout(10)
    try:
        while True:
            kinds.append(kind(s.recv(65535)))
            s.settimeout(2)
    except socket.timeout:
        pass
    print("|".join(kinds) or "no reply")


def main():
    cmd = sys.argv[1]
    if cmd == "proxy":
        proxy(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif cmd == "tcp":
        data = open(sys.argv[3], "rb").read()
        if len(sys.argv) > 4 and sys.argv[4] == "mutate":
            data = mutate_nonce(data)
        print(kind(tcp_send(int(sys.argv[2]), data)))
    elif cmd == "udp":
        data = open(sys.argv[3], "rb").read()
        rep = udp_send(int(sys.argv[2]), data)
        if len(sys.argv) > 4:
            open(sys.argv[4], "wb").write(rep)
        print(kind(rep))
    elif cmd == "dropproxy":
        dropproxy(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif cmd == "tiny":
        tiny(int(sys.argv[2]), sys.argv[3])
    elif cmd == "garbage":
        garbage(int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)


main()
