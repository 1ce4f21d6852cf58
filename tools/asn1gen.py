#!/usr/bin/env python3
"""asn1gen.py - derive the C types and DER tables of Orthrus from krb5.asn1.

Usage: asn1gen.py MODULE.asn1 OUT.h OUT.c

Reads the RFC 4120 ASN.1 module (a subset of X.680: type assignments,
SEQUENCE, SEQUENCE [SIZE (..)] OF, [APPLICATION n] and EXPLICIT context tags,
INTEGER with constraints, BOOLEAN, OCTET STRING, BIT STRING, GeneralString,
GeneralizedTime, OPTIONAL) and writes:

  OUT.h  the C type of every assignment and `extern const struct der_type
         asn1_<CName>` (the mapping documented in src/asn1/asn1.h);
  OUT.c  the tables (struct der_type / struct der_field from der_type.h)
         that the one interpreter in der.c walks.

Python 3 standard library only.  Anything outside the subset is an error:
the generator never guesses.
"""

import re
import sys

# Policy not expressible in RFC 4120's own text, kept here in one place.
# RFC 4120 §6.2: a principal name has at least one component, so an empty
# name-string is rejected (min count 1) although the module says SEQUENCE OF.
NONEMPTY_FIELDS = {("PrincipalName", "name-string")}
# Types that keep the exact bytes of their TLV (asn1.h: checksums cover the
# KDC-REQ-BODY and MS-SFU's S4UUserID; a ccache stores the ticket as
# received).
RAW_TYPES = {"KDC-REQ-BODY", "Ticket", "S4UUserID"}

TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<assign>::=)
  | (?P<range>\.\.)
  | (?P<num>-?[0-9]+)
  | (?P<ident>[A-Za-z][A-Za-z0-9-]*)
  | (?P<sym>[{}\[\](),|])
""", re.X)


class GenError(Exception):
    pass


def strip_comments(text):
    # X.680 §12.6: "--" starts a comment that ends at the next "--" or at
    # the end of the line.
    out = []
    for line in text.split("\n"):
        res = []
        i = 0
        in_comment = False
        while i < len(line):
            if line.startswith("--", i):
                in_comment = not in_comment
                i += 2
                continue
            if not in_comment:
                res.append(line[i])
            i += 1
        out.append("".join(res))
    return "\n".join(out)


def tokenize(text):
    toks = []
    pos = 0
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m:
            raise GenError("bad character %r at offset %d" % (text[pos], pos))
        pos = m.end()
        if m.lastgroup == "ws":
            continue
        # An identifier may not end with a hyphen; "5 --" was stripped above.
        toks.append(m.group(m.lastgroup))
    return toks


class T:
    """A parsed ASN.1 type."""

    def __init__(self, kind, **kw):
        self.kind = kind          # INTEGER BOOLEAN OCTETS BITS STRING TIME SEQ SEQOF REF
        self.app = None           # APPLICATION tag number
        self.lo = None            # INTEGER range
        self.hi = None
        self.min_count = 0        # SEQUENCE SIZE (n..MAX) OF
        self.fields = []          # SEQ: list of (name, tag, T, optional)
        self.elem = None          # SEQOF element
        self.ref = None           # REF: type name
        self.__dict__.update(kw)


class Parser:
    def __init__(self, toks):
        self.toks = toks
        self.i = 0

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def next(self):
        t = self.peek()
        if t is None:
            raise GenError("unexpected end of module")
        self.i += 1
        return t

    def expect(self, want):
        t = self.next()
        if t != want:
            raise GenError("expected %r, got %r near token %d" % (want, t, self.i))
        return t

    def module(self):
        while self.next() != "BEGIN":
            pass
        defs = []
        while self.peek() != "END":
            name = self.next()
            self.expect("::=")
            defs.append((name, self.type()))
        return defs

    def constraint_tokens(self):
        self.expect("(")
        depth = 1
        out = []
        while True:
            t = self.next()
            if t == "(":
                depth += 1
            elif t == ")":
                depth -= 1
                if depth == 0:
                    return out
            out.append(t)

    def type(self):
        t = self.next()
        if t == "[":
            cls = self.next()
            if cls != "APPLICATION":
                raise GenError("only [APPLICATION n] tags on types are supported")
            n = int(self.next())
            self.expect("]")
            inner = self.type()
            inner.app = n
            return inner
        if t == "SEQUENCE":
            if self.peek() == "{":
                return T("SEQ", fields=self.fields())
            min_count = 0
            if self.peek() == "SIZE":
                self.next()
                c = self.constraint_tokens()
                if len(c) != 3 or c[1] != ".." or c[2] != "MAX":
                    raise GenError("only SIZE (n..MAX) is supported on SEQUENCE OF")
                min_count = int(c[0])
            self.expect("OF")
            return T("SEQOF", elem=self.type(), min_count=min_count)
        if t == "INTEGER":
            ty = T("INTEGER", lo=-2**31, hi=2**31 - 1, plain=True)
            if self.peek() == "(":
                c = self.constraint_tokens()
                if len(c) == 3 and c[1] == "..":
                    ty.lo, ty.hi, ty.plain = int(c[0]), int(c[2]), False
                # A value list such as (5) or (10 | 12) is left to the
                # protocol layer (BADVERSION) and the APPLICATION tag check.
            return ty
        if t == "BOOLEAN":
            return T("BOOLEAN")
        if t == "OCTET":
            self.expect("STRING")
            return T("OCTETS")
        if t == "BIT":
            self.expect("STRING")
            if self.peek() == "(":
                self.constraint_tokens()
            return T("BITS")
        if t == "GeneralString":
            if self.peek() == "(":
                self.constraint_tokens()
            return T("STRING")
        if t == "GeneralizedTime":
            return T("TIME")
        if re.match(r"[A-Z][A-Za-z0-9-]*$", t):
            return T("REF", ref=t)
        raise GenError("unsupported type %r" % t)

    def fields(self):
        self.expect("{")
        out = []
        while True:
            name = self.next()
            self.expect("[")
            tag = int(self.next())
            self.expect("]")
            ty = self.type()
            opt = False
            if self.peek() == "OPTIONAL":
                self.next()
                opt = True
            out.append((name, tag, ty, opt))
            t = self.next()
            if t == "}":
                return out
            if t != ",":
                raise GenError("expected , or } in SEQUENCE, got %r" % t)


def cname(s):
    return s.replace("-", "_")


class Gen:
    def __init__(self, defs):
        self.defs = dict(defs)
        self.order = [n for n, _ in defs]
        if len(self.defs) != len(defs):
            raise GenError("duplicate type assignment")
        self.h_types = []        # C declarations in dependency order
        self.declared = set()
        self.tables = []         # C table text
        self.fwd = []            # static forward declarations
        self.anon = 0

    def resolve(self, ty):
        """Follow REF chains to the defining type (tags are not inherited)."""
        seen = set()
        while ty.kind == "REF":
            if ty.ref not in self.defs:
                raise GenError("undefined type %s" % ty.ref)
            if ty.ref in seen:
                raise GenError("recursive type %s" % ty.ref)
            seen.add(ty.ref)
            ty = self.defs[ty.ref]
        return ty

    def prim_ctype(self, ty):
        k = ty.kind
        if k == "INTEGER":
            return "uint32_t" if ty.hi > 2**31 - 1 else "int32_t"
        return {"BOOLEAN": "bool", "OCTETS": "struct der_bytes",
                "BITS": "uint32_t", "STRING": "char *",
                "TIME": "int64_t"}.get(k)

    def named_seqof(self, elem):
        """A named type that is exactly SEQUENCE OF elem (no SIZE)."""
        if elem.kind != "REF":
            return None
        for n in self.order:
            d = self.defs[n]
            if (d.kind == "SEQOF" and d.app is None and d.min_count == 0
                    and d.elem.kind == "REF" and d.elem.ref == elem.ref):
                return n
        return None

    def ensure(self, name):
        """Emit the C declaration of named type `name` (and its deps)."""
        if name in self.declared:
            return
        self.declared.add(name)
        d = self.defs[name]
        cn = cname(name)
        if d.kind == "REF":
            target = self.resolve(d)
            if self.prim_ctype(target):
                self.h_types.append("typedef %s%s;" % (
                    self.pad(self.prim_ctype(target)), cn))
            else:
                self.ensure(d.ref)
                self.h_types.append("typedef %s %s;" % (cname(d.ref), cn))
            return
        p = self.prim_ctype(d)
        if p:
            self.h_types.append("typedef %s%s;" % (self.pad(p), cn))
            return
        if d.kind == "SEQOF":
            et = self.field_ctype(name, "elem", d.elem, elem_of=name)
            self.h_types.append("typedef struct %s {\n\tsize_t len;\n\t%s*val;\n} %s;"
                                % (cn, self.pad(et), cn))
            return
        self.emit_struct(name, cn, d)

    @staticmethod
    def pad(ct):
        return ct if ct.endswith("*") else ct + " "

    def field_ctype(self, parent, fname, ty, elem_of=None):
        """C type of a value of ty used inside `parent` (emits deps)."""
        if ty.kind == "REF":
            target = self.resolve(ty)
            p = self.prim_ctype(target)
            if p:
                return p
            self.ensure(ty.ref)
            return cname(ty.ref)
        p = self.prim_ctype(ty)
        if p:
            return p
        if ty.kind == "SEQ":
            # asn1.h: an anonymous element SEQUENCE is named <Type>_elem.
            if elem_of is None:
                raise GenError("anonymous SEQUENCE in %s.%s" % (parent, fname))
            n = cname(elem_of) + "_elem"
            self.emit_struct(None, n, ty)
            return n
        if ty.kind == "SEQOF":
            named = self.named_seqof(ty.elem) if ty.min_count == 0 else None
            if named:
                self.ensure(named)
                return cname(named)
            et = self.field_ctype(parent, fname, ty.elem)
            n = "%s_%s" % (cname(parent), cname(fname))
            self.h_types.append("struct %s {\n\tsize_t len;\n\t%s*val;\n};"
                                % (n, self.pad(et)))
            return "struct " + n
        raise GenError("unsupported type in %s.%s" % (parent, fname))

    def emit_struct(self, name, cn, d):
        lines = []
        if name in RAW_TYPES:
            lines.append("\tstruct der_bytes _raw; /* the whole TLV as received */")
        for fname, tag, fty, opt in d.fields:
            ct = self.field_ctype(cn, fname, fty)
            if opt and not ct.endswith("*"):
                ct += " *"
            lines.append("\t%s%s; /* [%d]%s */" % (self.pad(ct), cname(fname), tag,
                                                  " OPTIONAL" if opt else ""))
        self.h_types.append("typedef struct %s {\n%s\n} %s;" % (cn, "\n".join(lines), cn))

    # ---- tables ----

    def desc(self, ty, hint, ctx_name=None):
        """The descriptor expression (&asn1_X) for a value of ty."""
        if ty.kind == "REF":
            self.resolve(ty)
            return "&asn1_" + cname(ty.ref)
        if ty.kind == "INTEGER" and ty.plain:
            return "&asn1__INTEGER"
        if ty.kind == "BOOLEAN":
            return "&asn1__BOOLEAN"
        if ty.kind == "OCTETS":
            return "&asn1__OCTET_STRING"
        if ty.kind == "STRING":
            return "&asn1__GeneralString"
        if ty.kind == "TIME":
            return "&asn1__GeneralizedTime"
        if ty.kind == "BITS":
            return "&asn1__BIT_STRING"
        if ty.kind == "SEQOF":
            named = self.named_seqof(ty.elem) if ty.min_count == 0 else None
            if named:
                return "&asn1_" + cname(named)
        # An anonymous constructed or constrained type: a static descriptor.
        n = "asn1_" + hint
        if n in self.static_done:
            return "&" + n
        self.static_done.add(n)
        self.fwd.append("static const struct der_type %s;" % n)
        self.table(n, hint, ty, static=True, ctype_hint=ctx_name)
        return "&" + n

    def table(self, dname, label, ty, static=False, ctype_hint=None, src=None):
        """Emit descriptor dname for type ty (an assignment's right side)."""
        storage = "static const" if static else "const"
        app = ty.app if ty.app is not None else -1
        raw = "-1"
        msgtype = "-1"
        target = ty
        name = src or label
        if ty.kind == "REF":
            # An alias: the target's layout with this type's own tag.
            target = self.resolve(ty)
            if target.app is not None and ty.app is not None:
                raise GenError("%s: tag on a tagged type" % label)
            if ty.app is None:
                app = target.app if target.app is not None else -1
        ctype = ctype_hint or cname(name)
        # The assignment that defines the layout (itself, or an alias's target).
        owner = name
        chain = ty
        while chain.kind == "REF":
            owner = chain.ref
            chain = self.defs[chain.ref]
        kind, lo, hi, fields, elem, minc, size = None, 0, 0, "NULL", "NULL", 0, None
        nfields = 0
        if target.kind == "INTEGER":
            kind = "DER_K_UINT32" if target.hi > 2**31 - 1 else "DER_K_INT32"
            lo, hi = target.lo, target.hi
            size = "sizeof(%s)" % self.prim_ctype(target)
        elif target.kind in ("BOOLEAN", "OCTETS", "BITS", "STRING", "TIME"):
            kind = {"BOOLEAN": "DER_K_BOOLEAN", "OCTETS": "DER_K_OCTETS",
                    "BITS": "DER_K_FLAGS", "STRING": "DER_K_STRING",
                    "TIME": "DER_K_TIME"}[target.kind]
            size = "sizeof(%s)" % self.prim_ctype(target)
        elif target.kind == "SEQ":
            kind = "DER_K_SEQUENCE"
            # The SEQUENCE's own name (for the field offsets): the alias
            # target when this is an alias.
            sname = cname(owner) if ty.kind == "REF" else ctype
            if owner in RAW_TYPES:
                raw = "(int32_t)offsetof(%s, _raw)" % sname
            fields = "%s_fields" % sname.replace(" ", "_")
            nfields = len(target.fields)
            if ty.app is not None or (ty.kind != "REF" and target.app is not None):
                for fname, _, _, _ in target.fields:
                    if fname == "msg-type":
                        msgtype = "(int32_t)offsetof(%s, msg_type)" % sname
            elif ty.kind == "REF" and target.app is not None:
                for fname, _, _, _ in target.fields:
                    if fname == "msg-type":
                        msgtype = "(int32_t)offsetof(%s, msg_type)" % sname
            size = "sizeof(%s)" % sname
            self.emit_fields(sname, owner if ty.kind == "REF" else name, target)
        elif target.kind == "SEQOF":
            kind = "DER_K_SEQUENCE_OF"
            minc = target.min_count
            elem = self.desc(target.elem, cname(owner) + "_elem",
                             ctx_name=(cname(owner) + "_elem") if target.elem.kind == "SEQ" else None)
            size = "sizeof(struct der_seq_of)"
        else:
            raise GenError("cannot tabulate %s" % label)
        self.tables.append(
            "%s struct der_type %s = {\n"
            "\t.name = \"%s\", .kind = %s, .app = %d, .size = %s,\n"
            "\t.lo = %dLL, .hi = %dLL, .fields = %s, .nfields = %d,\n"
            "\t.elem = %s, .min_count = %d, .raw_off = %s, .msgtype_off = %s,\n};"
            % (storage, dname, label, kind, app, size, lo, hi, fields,
               nfields, elem, minc, raw, msgtype))

    def emit_fields(self, sname, owner, seq):
        key = sname
        if key in self.emitted_fields:
            return
        self.emitted_fields.add(key)
        rows = []
        for fname, tag, fty, opt in seq.fields:
            hint = "%s_%s" % (sname, cname(fname))
            if (owner, fname) in NONEMPTY_FIELDS and fty.kind == "SEQOF":
                fty.min_count = max(fty.min_count, 1)
                # name-string must not reuse a shared SEQUENCE OF descriptor
            d = self.desc(fty, hint)
            rows.append("\t{\"%s\", %s, offsetof(%s, %s), %d, %d},"
                        % (fname, d, sname, cname(fname), tag, 1 if opt else 0))
        self.field_tables.append("static const struct der_field %s_fields[] = {\n%s\n};"
                                 % (sname, "\n".join(rows)))

    def run(self):
        for n in self.order:
            self.ensure(n)
        self.emitted_fields = set()
        self.static_done = set()
        self.field_tables = []
        for n in self.order:
            self.table("asn1_" + cname(n), n, self.defs[n], src=n)
        return self.h_types, self.fwd, self.field_tables, self.tables


def main(argv):
    if len(argv) != 4:
        sys.stderr.write("usage: asn1gen.py MODULE.asn1 OUT.h OUT.c\n")
        return 2
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        defs = Parser(tokenize(strip_comments(text))).module()
        gen = Gen(defs)
        h_types, fwd, field_tables, tables = gen.run()
    except GenError as e:
        sys.stderr.write("asn1gen: %s: %s\n" % (argv[1], e))
        return 1
    names = [cname(n) for n, _ in defs]
    hdr = ["/* Generated by tools/asn1gen.py from krb5.asn1: do not edit. */",
           "#ifndef ORTHRUS_KRB5_ASN1_H", "#define ORTHRUS_KRB5_ASN1_H", "",
           "#include <stdbool.h>", "#include <stddef.h>", "#include <stdint.h>", "",
           "/* C types (mapping: src/asn1/asn1.h) */", ""]
    hdr += [t + "\n" for t in h_types]
    hdr += ["/* Descriptors for der_decode() / der_encode() */"]
    hdr += ["extern const struct der_type asn1_%s;" % n for n in names]
    hdr += ["", "#endif", ""]
    src = ["/* Generated by tools/asn1gen.py from krb5.asn1: do not edit. */",
           "#include <stddef.h>", "", "#include \"asn1.h\"",
           "#include \"der_type.h\"", "",
           "/* Built-in types used inline in the module. */",
           "static const struct der_type asn1__INTEGER = {.name = \"INTEGER\", "
           ".kind = DER_K_INT32, .app = -1, .size = sizeof(int32_t), "
           ".lo = -2147483647LL - 1, .hi = 2147483647LL, .raw_off = -1, .msgtype_off = -1};",
           "static const struct der_type asn1__BOOLEAN = {.name = \"BOOLEAN\", "
           ".kind = DER_K_BOOLEAN, .app = -1, .size = sizeof(bool), .raw_off = -1, .msgtype_off = -1};",
           "static const struct der_type asn1__OCTET_STRING = {.name = \"OCTET STRING\", "
           ".kind = DER_K_OCTETS, .app = -1, .size = sizeof(struct der_bytes), .raw_off = -1, .msgtype_off = -1};",
           "static const struct der_type asn1__GeneralString = {.name = \"GeneralString\", "
           ".kind = DER_K_STRING, .app = -1, .size = sizeof(char *), .raw_off = -1, .msgtype_off = -1};",
           "static const struct der_type asn1__GeneralizedTime = {.name = \"GeneralizedTime\", "
           ".kind = DER_K_TIME, .app = -1, .size = sizeof(int64_t), .raw_off = -1, .msgtype_off = -1};",
           "static const struct der_type asn1__BIT_STRING = {.name = \"BIT STRING\", "
           ".kind = DER_K_FLAGS, .app = -1, .size = sizeof(uint32_t), .raw_off = -1, .msgtype_off = -1};",
           ""]
    body = fwd + [""] + field_tables + [""] + tables + [""]
    used = "\n".join(body)
    # Only the built-ins the module refers to (unused statics are warnings).
    src = [l for l in src if not l.startswith("static const struct der_type asn1__")
           or ("&" + l.split()[4]) in used]
    src += body
    text_c = "\n".join(src).replace(".lo = -2147483648LL", ".lo = -2147483647LL - 1")
    with open(argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(hdr))
    with open(argv[3], "w", encoding="utf-8") as f:
        f.write(text_c)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
