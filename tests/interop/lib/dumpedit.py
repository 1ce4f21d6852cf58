#!/usr/bin/env python3
"""dumpedit.py - edit an `orthrus admin dump` file as an attacker with
write access to it (but not to the master key) would, for the interop
tests.

  dumpedit.py swap DUMP NAME1 NAME2     print DUMP with the keys of the two
                                        principals' current key sets swapped
                                        (enctype, salt, s2kparams and the
                                        encrypted key: everything the KDC
                                        uses to check a password)
  dumpedit.py versions DUMP             print "NAME VERSION" per principal

DUMP is either format: the text of version 3 (src/db/dump.h, one
"principal NAME field=value ... key ... key ..." line per principal) or the
hex records of versions 1 and 2 (src/db/db.h's record format, versions 1
to 3; a record is written back in the version it was read).  `versions`
reads hex dumps only: text dumps have no record version.
"""
import struct
import sys


class Rd:
    def __init__(self, b):
        self.b, self.p = b, 0

    def take(self, n):
        if self.p + n > len(self.b):
            raise ValueError("record truncated")
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def field(self):
        return self.take(self.u16())


def key_parse(r, version, hist):
    """One key as raw bytes: (kvno-or-None, bytes of the key)."""
    start = r.p
    kvno = r.u32() if hist and version >= 3 else None
    kstart = r.p
    r.take(4 + 2)          # enctype, salt_type
    r.field()              # salt
    r.field()              # s2kparams
    if version >= 3:
        r.u8()             # seal
    r.field()              # encrypted key
    return (r.b[start:kstart], r.b[kstart:r.p])


def record_parse(b):
    """Split a record into: head, name, keysets [(kvno, [key bytes])], tail."""
    r = Rd(b)
    version = r.u8()
    if version not in (1, 2, 3):
        raise ValueError("unknown record version %d" % version)
    name = r.field().decode()
    r.take(4 + 6 * 8)
    r.field()
    r.field()
    head_end = r.p
    nks = r.u8()
    keysets = []
    for _ in range(nks):
        kvno = r.u32()
        nk = r.u8()
        keys = [key_parse(r, version, False)[1] for _ in range(nk)]
        keysets.append((kvno, keys))
    tail = b[r.p:]
    return version, name, b[:head_end], keysets, tail


def record_build(head, keysets, tail):
    out = bytearray(head)
    out.append(len(keysets))
    for kvno, keys in keysets:
        out += struct.pack(">IB", kvno, len(keys))
        for k in keys:
            out += k
    return bytes(out + tail)


def read_dump(path):
    with open(path) as f:
        return f.read().split("\n")


def text_swap(lines, want):
    """Swap the current key sets ("key" groups of the highest kvno) of two
    principal lines of a version 3 dump; each keeps its own kvno."""
    found = {}
    for i, line in enumerate(lines):
        toks = line.split(" ")
        if len(toks) > 1 and toks[0] == "principal" and toks[1] in want:
            found[toks[1]] = i
    if len(found) != 2:
        sys.stderr.write("dumpedit: %s not both in the dump\n" % (want,))
        return None

    def split(line):
        # head tokens, then groups: [["key", "kvno=2", ...], ...]
        toks = line.split(" ")
        head, groups = [], []
        for t in toks:
            if t in ("key", "hist"):
                groups.append([t])
            elif groups:
                groups[-1].append(t)
            else:
                head.append(t)
        return head, groups

    def kvno(g):
        return next(t for t in g if t.startswith("kvno="))

    parts = {n: split(lines[i]) for n, i in found.items()}
    cur = {}
    for n, (head, groups) in parts.items():
        top = kvno(groups[0])
        cur[n] = (top, [g for g in groups if g[0] == "key" and kvno(g) == top])
    a, b = want
    for me, other in ((a, b), (b, a)):
        head, groups = parts[me]
        top = cur[me][0]
        mine = [[t if not t.startswith("kvno=") else top for t in g] for g in cur[other][1]]
        rest = [g for g in groups if not (g[0] == "key" and kvno(g) == top)]
        lines[found[me]] = " ".join(head + [t for g in mine + rest for t in g])
    return lines


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "versions":
        for line in read_dump(sys.argv[2]):
            if line.startswith("princ "):
                v, name, _, _, _ = record_parse(bytes.fromhex(line[6:]))
                print(name, v)
        return 0
    if len(sys.argv) != 5 or sys.argv[1] != "swap":
        sys.stderr.write(__doc__)
        return 2
    lines = read_dump(sys.argv[2])
    want = (sys.argv[3], sys.argv[4])
    if lines[0] == "orthrus-dump 3":
        lines = text_swap(lines, want)
        if lines is None:
            return 1
        sys.stdout.write("\n".join(lines))
        return 0
    found = {}
    for i, line in enumerate(lines):
        if line.startswith("princ "):
            rec = record_parse(bytes.fromhex(line[6:]))
            if rec[1] in want:
                found[rec[1]] = (i, rec)
    if len(found) != 2:
        sys.stderr.write("dumpedit: %s not both in the dump\n" % (want,))
        return 1
    (i1, r1), (i2, r2) = found[want[0]], found[want[1]]
    ks1 = list(r1[3])
    ks2 = list(r2[3])
    ks1[0], ks2[0] = (ks1[0][0], ks2[0][1]), (ks2[0][0], ks1[0][1])
    lines[i1] = "princ " + record_build(r1[2], ks1, r1[4]).hex()
    lines[i2] = "princ " + record_build(r2[2], ks2, r2[4]).hex()
    sys.stdout.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
