#!/usr/bin/python3
"""kdcstub.py - a KDC stand-in for client tests: relays requests to a real
KDC and logs the transport of each; optionally forges replies.

  kdcstub.py PORT UPSTREAM_PORT LOG MODE

MODE:
  relay     relay UDP and TCP
  tcponly   relay TCP only (no UDP socket: UDP requests are refused)
  swap      relay, but put the ticket of the previous TGS-REP into each
            TGS-REP after the first (the reply then names one service in
            its encrypted part and another in its ticket: the Orpheus'
            Lyre forgery, CVE-2017-11103)
  toobig    answer every UDP request with KRB_ERR_RESPONSE_TOO_BIG (52);
            relay TCP
  etypedown relay, but rewrite the etype list of each AS-REQ that starts
            18, 17 to 17, 17 on its way to the KDC (a downgrade in transit
            that RFC 6806's checksum of the request must reveal)
  spake-identity, spake-order8, spake-offcurve
            relay, but replace T in each edwards25519 SPAKE challenge
            (RFC 9588 §4.2) of a KRB-ERROR with the identity, a point of
            order 8, or y = 2 (not on the curve): a hostile KDC's
            challenge, which a client must refuse before it answers

Writes "ready" to LOG when listening; one line per request ("udp"/"tcp").
"""
import socket
import struct
import sys
import threading

port, upstream, log_path, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
lock = threading.Lock()
saved = {"ticket": None}


def log(line):
    with lock, open(log_path, "a") as f:
        f.write(line + "\n")


def tlv(buf, off):
    """(tag, header length, content length) of the TLV at off."""
    tag = buf[off]
    n = buf[off + 1]
    if n < 0x80:
        return tag, 2, n
    k = n & 0x7F
    return tag, 2 + k, int.from_bytes(buf[off + 2:off + 2 + k], "big")


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def swap_ticket(rep):
    if not rep or rep[0] != 0x6D:  # TGS-REP
        return rep
    _, h, _ = tlv(rep, 0)
    _, h2, l2 = tlv(rep, h)  # SEQUENCE
    off, end = h + h2, h + h2 + l2
    fields = []
    while off < end:
        t, hh, ll = tlv(rep, off)
        fields.append((t, rep[off:off + hh + ll]))
        off += hh + ll
    out = []
    for t, raw in fields:
        if t == 0xA5:
            if saved["ticket"] is None:
                saved["ticket"] = raw
            else:
                raw = saved["ticket"]
        out.append(raw)
    body = b"".join(out)
    seq = b"\x30" + enc_len(len(body)) + body
    return b"\x6d" + enc_len(len(seq)) + seq


def relay_udp(data):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(data, ("127.0.0.1", upstream))
    rep, _ = s.recvfrom(65536)
    s.close()
    return rep


def relay_tcp(data):
    s = socket.create_connection(("127.0.0.1", upstream), 5)
    s.sendall(struct.pack(">I", len(data)) + data)
    hdr = b""
    while len(hdr) < 4:
        hdr += s.recv(4 - len(hdr))
    n = struct.unpack(">I", hdr)[0]
    rep = b""
    while len(rep) < n:
        rep += s.recv(n - len(rep))
    s.close()
    return rep


def too_big():
    """A KRB-ERROR (RFC 4120 §5.9.1) with error-code 52."""
    def t(tag, c):
        return bytes([tag]) + enc_len(len(c)) + c

    def ct(n, c):
        return t(0xA0 + n, c)

    def i(v):
        return t(0x02, bytes([v]))

    gs = lambda s: t(0x1B, s.encode())
    sname = t(0x30, ct(0, i(2)) + ct(1, t(0x30, gs("krbtgt") + gs("X"))))
    body = (ct(0, i(5)) + ct(1, i(30)) + ct(4, t(0x18, b"20260101000000Z")) +
            ct(5, i(0)) + ct(6, i(52)) + ct(9, gs("X")) + ct(10, sname))
    return t(0x7E, t(0x30, body))


# SPAKEChallenge's group 1 and the header of T, a 32-byte OCTET STRING
SPAKE_T = b"\xa0\x03\x02\x01\x01\xa1\x22\x04\x20"
SPAKE_BAD = {
    "spake-identity": b"\x01" + bytes(31),
    "spake-order8": bytes.fromhex(
        "26E8958FC2B227B045C3F489F2EF98F0D5DFAC05D3C63339B13802886D53FC05"),
    "spake-offcurve": b"\x02" + bytes(31),
}


def bad_challenge(rep):
    i = rep.find(SPAKE_T) if rep and rep[0] == 0x7E else -1
    if i < 0:
        return rep
    i += len(SPAKE_T)
    log("bad challenge")
    return rep[:i] + SPAKE_BAD[mode] + rep[i + 32:]


def forge(rep):
    if mode in SPAKE_BAD:
        return bad_challenge(rep)
    return swap_ticket(rep) if mode == "swap" else rep


def tamper(req):
    """etypedown: INTEGER 18, INTEGER 17 -> 17, 17 in an AS-REQ."""
    if mode != "etypedown" or not req or req[0] != 0x6A:
        return req
    out = req.replace(b"\x02\x01\x12\x02\x01\x11", b"\x02\x01\x11\x02\x01\x11", 1)
    if out != req:
        log("tampered")
    return out


def udp_loop(sock):
    while True:
        data, peer = sock.recvfrom(65536)
        log("udp")
        try:
            if mode == "toobig":
                sock.sendto(too_big(), peer)
                continue
            sock.sendto(forge(relay_udp(tamper(data))), peer)
        except OSError:
            pass


def tcp_conn(c):
    try:
        hdr = b""
        while len(hdr) < 4:
            b = c.recv(4 - len(hdr))
            if not b:
                return
            hdr += b
        n = struct.unpack(">I", hdr)[0]
        data = b""
        while len(data) < n:
            b = c.recv(n - len(data))
            if not b:
                return
            data += b
        log("tcp")
        rep = forge(relay_tcp(tamper(data)))
        c.sendall(struct.pack(">I", len(rep)) + rep)
    finally:
        c.close()


def main():
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", port))
    t.listen(16)
    if mode != "tcponly":
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", port))
        threading.Thread(target=udp_loop, args=(u,), daemon=True).start()
    log("ready")
    while True:
        c, _ = t.accept()
        threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()


main()
