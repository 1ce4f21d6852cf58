#!/usr/bin/python3
"""kpwpoke.py - hostile traffic for the kpasswd service, for
tests/interop/kpasswd_mit.sh (127.0.0.1 only).

  udp PORT HEX           send the bytes HEX as one datagram; print the reply
  tcp PORT HEX           send them over TCP (4-byte length first)
  big PORT SIZE          announce SIZE bytes over TCP and send them (a
                         password of SIZE bytes); print the reply and
                         whether the server closed the connection
  pingpong PORT          get a real error reply over TCP, send it back to
                         the server over UDP and TCP: never answered
                         (CVE-2002-2443)

A reply prints as "no reply", "error N" (a bare KRB-ERROR), "kpasswd
error N result R" (a framed KRB-ERROR with its result) or "kpasswd reply"
(an AP-REP and a KRB-PRIV).
"""
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
    """ "error N" for a KRB-ERROR (its error-code), else "unknown"."""
    if rep[0] != 0x7E:
        return "unknown"
    _, h, n = tlv(rep, 0)
    _, h2, n2 = tlv(rep, h)
    for tag, off, hh, nn in children(rep, h + h2, h + h2 + n2):
        if tag == 0xA6:
            _, ih, inn = tlv(rep, off + hh)
            return "error %d" % int.from_bytes(rep[off + hh + ih:off + hh + ih + inn], "big",
                                               signed=True)
    return "error ?"


def describe(rep):
    if not rep:
        return "no reply"
    if rep[0] == 0x7E:
        return kind(rep)
    if len(rep) < 6:
        return "short reply"
    total, version, aplen = struct.unpack(">HHH", rep[:6])
    if total != len(rep) or version != 1:
        return "bad frame"
    if aplen != 0:
        return "kpasswd reply"
    err = rep[6:]
    code = kind(err)
    # e-data [12] OCTET STRING: the 2-byte result first
    _, h, n = tlv(err, 0)
    _, h2, n2 = tlv(err, h)
    for tag, off, hh, nn in children(err, h + h2, h + h2 + n2):
        if tag == 0xAC:
            _, ih, inn = tlv(err, off + hh)
            res = err[off + hh + ih:off + hh + ih + 2]
            return "kpasswd %s result %d" % (code, int.from_bytes(res, "big"))
    return "kpasswd %s" % code


def udp(port, data, timeout=1.5):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(data, ("127.0.0.1", port))
    try:
        rep, _ = s.recvfrom(65536)
    except socket.timeout:
        rep = b""
    s.close()
    return rep


def recv_all(c, n):
    buf = b""
    while len(buf) < n:
        chunk = c.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def tcp(port, data, timeout=3):
    c = socket.create_connection(("127.0.0.1", port), timeout)
    c.settimeout(timeout)
    try:
        c.sendall(struct.pack(">I", len(data)) + data)
        hdr = recv_all(c, 4)
        if len(hdr) < 4:
            return b""
        return recv_all(c, struct.unpack(">I", hdr)[0])
    except (socket.timeout, ConnectionError):
        return b""
    finally:
        c.close()


def big(port, size):
    c = socket.create_connection(("127.0.0.1", port), 5)
    c.settimeout(5)
    # A framed kpasswd request whose KRB-PRIV would be size bytes long
    # (its 2-byte length cannot say so: the TCP length is what counts).
    body = struct.pack(">HHH", 0xFFFF, 1, 2) + b"\x6e\x00" + b"\x75" + b"\x00" * (size - 9)
    rep = b""
    closed = False
    try:
        c.sendall(struct.pack(">I", len(body)))
        c.sendall(body)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        hdr = recv_all(c, 4)
        if len(hdr) == 4:
            rep = recv_all(c, struct.unpack(">I", hdr)[0])
        while True:
            chunk = c.recv(65536)
            if not chunk:
                closed = True
                break
    except (socket.timeout, ConnectionError):
        closed = not rep
    c.close()
    return rep, closed


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "udp":
        print(describe(udp(port, bytes.fromhex(sys.argv[3]))))
    elif cmd == "tcp":
        print(describe(tcp(port, bytes.fromhex(sys.argv[3]))))
    elif cmd == "big":
        rep, closed = big(port, int(sys.argv[3]))
        print("%s, %s" % (describe(rep), "closed" if closed else "still open"))
    elif cmd == "pingpong":
        # a well-framed request whose AP-REQ is empty: the server answers
        # it over TCP with a framed KRB-ERROR (AUTHERROR)
        req = bytes.fromhex("000a00010002" "6e00" "7500")
        rep = tcp(port, req)
        print("request: %s" % describe(rep))
        print("its reply sent back over udp: %s" % describe(udp(port, rep)))
        print("its reply sent back over tcp: %s" % describe(tcp(port, rep)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
