#!/usr/bin/python3
"""ldapstub.py - an LDAP server that takes every bind and refuses every
search at once with unwillingToPerform (RFC 4511 resultCode 53), as a
provider does that binds a KDC but will not serve its sync (slapd: a
cookie newer than its own state, after a restart).

  ldapstub.py PORT LOG

Listens on 127.0.0.1:PORT; writes "ready" to LOG when listening, then one
line per search ("search").  Runs until killed.
"""
import socket
import sys
import threading

BIND_REQUEST, BIND_RESPONSE = 0x60, 0x61
UNBIND_REQUEST = 0x42
SEARCH_REQUEST, SEARCH_DONE = 0x63, 0x65
SUCCESS, UNWILLING_TO_PERFORM = 0, 53


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def read_message(conn):
    """One BER-encoded LDAPMessage: (message ID bytes, protocol op tag)."""
    tag, first = read_exact(conn, 2)
    if tag != 0x30:
        raise EOFError
    length = first
    if first & 0x80:
        length = int.from_bytes(read_exact(conn, first & 0x7F), "big")
    body = read_exact(conn, length)
    if body[0] != 0x02 or body[1] > 4:
        raise EOFError
    msgid = body[2:2 + body[1]]
    return msgid, body[2 + body[1]]


def result(msgid, op, code):
    # LDAPResult: resultCode ENUMERATED, matchedDN "", diagnosticMessage ""
    res = bytes([0x0A, 1, code, 0x04, 0, 0x04, 0])
    inner = bytes([0x02, len(msgid)]) + msgid + bytes([op, len(res)]) + res
    return bytes([0x30, len(inner)]) + inner


def serve(conn, log):
    with conn:
        try:
            while True:
                msgid, op = read_message(conn)
                if op == BIND_REQUEST:
                    conn.sendall(result(msgid, BIND_RESPONSE, SUCCESS))
                elif op == SEARCH_REQUEST:
                    conn.sendall(result(msgid, SEARCH_DONE, UNWILLING_TO_PERFORM))
                    with open(log, "a") as f:
                        f.write("search\n")
                elif op == UNBIND_REQUEST:
                    return
        except (EOFError, OSError, IndexError, ValueError):
            return


def main():
    port, log = int(sys.argv[1]), sys.argv[2]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    with open(log, "a") as f:
        f.write("ready\n")
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, log), daemon=True).start()


if __name__ == "__main__":
    main()
