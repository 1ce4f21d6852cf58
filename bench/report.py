#!/usr/bin/env python3
"""bench/report.py: the table of bench/run.sh, bench/RESULTS.md and
bench/results.png (gnuplot) from the rows the loads wrote.

rows.tsv: kdc, request, transport, loader, inflight, replies/s, KDC CPU
us/request, p50 us, p99 us and, for a KDC over a directory, the
directory's (slapd's) CPU us/request.  instr.tsv: kdc, request, instructions/request.
--smoke: check that the table has every row of Orthrus and the floors
(exit 1 if not); the files go to --out as usual.
"""
import argparse
import datetime
import os
import platform
import subprocess
import sys

KDCS = ["orthrus", "mit", "mit -w 2", "heimdal"]
LOADS = [  # request, transport, loader
    ("tgs", "udp", "kdc_load"),
    ("tgs", "tcp", "kdc_load"),
    ("tgs", "tcp", "kdc_load conn 100"),  # Orthrus only: 100 requests a connection
    ("tgs", "udp", "libkrb5"),
    ("as-preauth", "udp", "kdc_load"),
    ("as", "udp", "kdc_load"),
]


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def fmt(v, digits=0):
    if v is None:
        return "-"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", required=True)
    ap.add_argument("--instr", required=True)
    ap.add_argument("--floor-us", default="")
    ap.add_argument("--floor-instr", default="")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seconds", default="")
    ap.add_argument("--principals", default="")
    ap.add_argument("--inflight", default="")
    ap.add_argument("--tcp-inflight", default="")
    ap.add_argument("--bulk", default="")
    ap.add_argument("--rss", default="")
    ap.add_argument("--ldap", default="")
    ap.add_argument("--mit-ldap", default="")
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()

    rows = {}
    echo = {}  # (transport, inflight): the echo server's row

    def echo_order(kv):
        (tr, infl), _ = kv
        return (tr != "udp", int(infl))

    with open(a.rows) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 9:
                continue
            kdc, req, tr, loader, infl, rate, cpu, p50, p99 = p[:9]
            rec = {"inflight": infl, "rate": num(rate), "cpu": num(cpu),
                   "p50": num(p50), "p99": num(p99),
                   "dir": num(p[9]) if len(p) > 9 else None}
            if req == "echo":
                echo[(tr, infl)] = rec
            else:
                rows[(kdc, req, tr, loader)] = rec
    instr = {}
    with open(a.instr) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) == 3:
                instr[(p[0], p[1])] = num(p[2])
    # the scale rows: "scale N", Orthrus only
    scale = sorted({ld for (_, _, _, ld) in rows if ld.startswith("scale ")},
                   key=lambda ld: int(ld.split()[1]))
    # scenario 8 of issue 11: "ldap N", Orthrus serving from its replica,
    # MIT's KDC searching the directory
    ldap = sorted({ld for (_, _, _, ld) in rows if ld.startswith("ldap ")},
                  key=lambda ld: int(ld.split()[1]))
    loads = LOADS + [("tgs", "udp", ld) for ld in scale + ldap]
    floor_us = num(a.floor_us)
    floor_instr = num(a.floor_instr)

    def total_cpu(r):
        """The KDC's CPU per request, plus the directory's where it was
        measured (issue 11 compares KDC + slapd)."""
        if r is None or r["cpu"] is None:
            return None
        return r["cpu"] + (r["dir"] or 0)

    def floor_cpu(tr, infl):
        """The floor of a TGS-REQ over transport tr at infl in flight: the
        echo server's CPU there plus the cryptography."""
        e = echo.get((tr, infl))
        if e is None or e["cpu"] is None or floor_us is None:
            return None
        return e["cpu"] + floor_us

    # the table
    head = ["request", "transport", "load", "KDC", "replies/s", "KDC CPU us/req",
            "slapd CPU us/req", "CPU vs MIT", "CPU vs MIT -w 2", "p50 us", "p99 us", "instr/req",
            "x floor"]
    table = []
    for req, tr, loader in loads:
        mit = rows.get(("mit", req, tr, loader))
        mitw = rows.get(("mit -w 2", req, tr, loader))
        for kdc in KDCS:
            r = rows.get((kdc, req, tr, loader))
            if r is None:
                continue
            ratio = ratio_w = xfloor = None
            if total_cpu(mit) and r["cpu"] is not None:
                ratio = total_cpu(r) / total_cpu(mit)
            if total_cpu(mitw) and r["cpu"] is not None:
                ratio_w = total_cpu(r) / total_cpu(mitw)
            ins = None
            if tr == "udp" and loader == "kdc_load" and req in ("tgs", "as-preauth"):
                ins = instr.get((kdc, req))
            # the TCP echo floor is a connection per request: not the
            # floor of the rows that keep their connections
            kept = tr == "tcp" and loader != "kdc_load"
            if req == "tgs" and r["cpu"] is not None and not kept:
                fc = floor_cpu(tr, r["inflight"])
                if fc:
                    xfloor = r["cpu"] / fc
            if loader.startswith("scale "):
                load = f"kdc_load, {r['inflight']} in flight, {int(loader.split()[1]):,} principals"
            elif loader.startswith("ldap "):
                load = (f"kdc_load, {r['inflight']} in flight, {int(loader.split()[1]):,} "
                        "principals, " + ("replica of an LDAP directory" if kdc == "orthrus"
                                          else "in an LDAP directory"))
            elif loader.startswith("kdc_load conn "):
                load = (f"kdc_load, {r['inflight']} in flight, "
                        f"{int(loader.split()[2]):,} requests a connection")
            elif loader == "kdc_load":
                load = f"{loader}, {r['inflight']} in flight"
            else:
                load = f"{loader}, {r['inflight']} x 1 in flight"
            table.append([req, tr, load, kdc, fmt(r["rate"]), fmt(r["cpu"], 1),
                          fmt(r["dir"], 1) if r["dir"] is not None else "-",
                          fmt(ratio, 2) if ratio is not None else "-",
                          fmt(ratio_w, 2) if ratio_w is not None else "-",
                          fmt(r["p50"]), fmt(r["p99"]), fmt(ins),
                          fmt(xfloor, 2) if xfloor is not None else "-"])

    widths = [max(len(str(x[i])) for x in [head] + table) for i in range(len(head))]
    print("  ".join(h.ljust(widths[i]) for i, h in enumerate(head)))
    for t in table:
        print("  ".join(str(x).ljust(widths[i]) for i, x in enumerate(t)))
    print()
    print(f"floor: cryptography of one TGS-REQ {fmt(floor_us, 2)} us, "
          f"{fmt(floor_instr)} instructions; "
          + "; ".join(f"{t} echo server {k} in flight {fmt(v['cpu'], 1)} us CPU/request"
                      for (t, k), v in sorted(echo.items(), key=echo_order)))

    # the targets of issue 9
    def get(kdc, req, tr, loader, key="cpu"):
        r = rows.get((kdc, req, tr, loader))
        return None if r is None else r[key]

    targets = []

    def target(what, value, limit, fmtv, at_least=False):
        if value is None:
            targets.append((what, "-", "not measured"))
        else:
            ok = value >= limit if at_least else value <= limit
            targets.append((what, fmtv(value), "met" if ok else "missed"))

    target("TGS-REQ instructions in the KDC process <= 80,000",
           instr.get(("orthrus", "tgs")), 80000, fmt)
    target("AS exchange with PA-ENC-TIMESTAMP instructions <= 60,000",
           instr.get(("orthrus", "as-preauth")), 60000, fmt)
    o, m = get("orthrus", "tgs", "udp", "libkrb5"), get("mit", "tgs", "udp", "libkrb5")
    target("KDC CPU per TGS-REQ under MIT's library, 1 in flight: <= 1/5 of MIT's",
           o / m if o is not None and m else None, 0.2, lambda v: f"{v:.2f} of MIT's")
    o, m = get("orthrus", "tgs", "udp", "kdc_load"), get("mit -w 2", "tgs", "udp", "kdc_load")
    target("KDC CPU per TGS-REQ, own loader, many in flight: <= 1/10 of MIT -w 2's",
           o / m if o is not None and m else None, 0.1, lambda v: f"{v:.2f} of MIT's")
    u, t = get("orthrus", "tgs", "udp", "kdc_load"), get("orthrus", "tgs", "tcp", "kdc_load")
    eu, et = echo.get(("udp", a.inflight)), echo.get(("tcp", a.tcp_inflight))
    # The echo servers' ratio is what the kernel alone makes of the same
    # comparison: no KDC can be nearer UDP than that.
    kernel = ""
    if eu and et and eu["cpu"] and et["cpu"] is not None:
        kernel = f" (the echo servers alone: {et['cpu'] / eu['cpu']:.2f}x)"
    # The same KDC when clients keep their connection (RFC 4120 §7.2.2
    # lets them): what is left once the kernel's per-connection cost is
    # spread.
    kept = get("orthrus", "tgs", "tcp", "kdc_load conn 100")
    if kept is not None and u:
        kernel += f"; with 100 requests a connection: {kept / u:.2f}x"
    target("TCP within 1.5x of UDP (KDC CPU per TGS-REQ)",
           t / u if t is not None and u else None, 1.5, lambda v: f"{v:.2f}x{kernel}")
    fc = floor_cpu("udp", a.inflight)
    target("KDC CPU per TGS-REQ <= 2x the floor (crypto + UDP echo)",
           u / fc if u is not None and fc else None, 2.0, lambda v: f"{v:.2f}x")
    if len(scale) >= 2:
        lo, hi = get("orthrus", "tgs", "udp", scale[0], "rate"), \
            get("orthrus", "tgs", "udp", scale[-1], "rate")
        target(f"TGS replies/s at {int(scale[-1].split()[1]):,} principals within 10% of "
               f"{int(scale[0].split()[1]):,}: at least 0.90 of it",
               None if not lo or hi is None else hi / lo, 0.9, lambda v: f"{v:.2f}",
               at_least=True)
    else:
        target("TGS replies/s at 10^6 principals within 10% of 10^3", None, 0, fmt)
    if a.bulk:
        n, sec = a.bulk.split()
        target(f"bulk loader: {int(n):,} principals in under a minute", float(sec), 60,
               lambda v: f"{v:.0f} s")
    if a.rss:
        n, r0, r1, r2 = (int(x) for x in a.rss.split())
        target(f"RSS flat over {n:,} TGS-REQs after warm-up ({r0:,} KiB, {r1:,} KiB "
               f"half way, {r2:,} KiB at the end): the second half grows at most 2%",
               r2 / r1, 1.02, lambda v: f"{v:.3f}x")
    else:
        target("RSS flat over 10^7 TGS-REQs after warm-up", None, 0, fmt)
    for w, v, s in targets:
        print(f"target: {w}: {v} ({s})")
    ldap_lines = []
    if a.ldap:
        # "N SECONDS what the KDC logged of its full load"
        n, sec, logged = a.ldap.split(" ", 2)
        lmdb = get("orthrus", "tgs", "udp", f"scale {n}", "rate")
        repl = get("orthrus", "tgs", "udp", f"ldap {n}", "rate")
        ldap_lines.append(
            f"{int(n):,} principals: initial sync of a replica KDC {sec} s "
            f"({logged}); TGS replies/s from the replica "
            + (f"{repl / lmdb:.2f} of the LMDB-only KDC's" if lmdb and repl is not None
               else "not measured"))
        mn = n
        if a.mit_ldap:
            # "N PRINCIPALS-MADE SECONDS" of MIT's kadmin.local into the directory
            mn, made, msec = a.mit_ldap.split()
            ldap_lines.append(
                f"MIT's kadmin.local made {int(made):,} principals in the directory "
                f"(its own realm container in the same slapd) in {msec} s, "
                f"{int(made) / float(msec):,.0f}/s")
        mit_at = "" if mn == n else f" (at {int(mn):,} principals)"
        seen = [(who, rows.get((kdc, "tgs", "udp", ld))) for who, kdc, ld in (
            ("Orthrus from its replica", "orthrus", f"ldap {n}"),
            ("Orthrus LMDB-only", "orthrus", f"scale {n}"),
            ("MIT kldap" + mit_at, "mit", f"ldap {mn}"),
            ("MIT kldap -w 2" + mit_at, "mit -w 2", f"ldap {mn}"))]
        seen = [(who, r) for who, r in seen if r is not None and r["rate"]]
        if seen:
            ldap_lines.append(
                f"TGS over UDP at {int(n):,} principals, replies/s and KDC + slapd CPU "
                "per request: " + "; ".join(
                    f"{who} {fmt(r['rate'])}/s, {fmt(total_cpu(r), 1)} us"
                    for who, r in seen))
        repl_r = rows.get(("orthrus", "tgs", "udp", f"ldap {n}"))
        for kdc in ("mit", "mit -w 2"):
            m = rows.get((kdc, "tgs", "udp", f"ldap {mn}"))
            if repl_r and m and m["rate"] and total_cpu(m):
                ldap_lines.append(
                    f"Orthrus from its replica against {kdc} over kldap{mit_at}: "
                    f"{repl_r['rate'] / m['rate']:.1f}x the replies/s, "
                    f"{total_cpu(repl_r) / total_cpu(m):.2f} of the CPU (KDC + slapd) "
                    "per request")
    for line in ldap_lines:
        print(f"ldap: {line}")

    if a.smoke:
        missing = [ld for ld in LOADS if ("orthrus",) + ld not in rows]
        bad = [k for k, r in rows.items() if not r["rate"]]
        no_echo = [t for t in ("udp", "tcp") if not any(tr == t for tr, _ in echo)]
        if missing or bad or no_echo or floor_us is None:
            print(f"smoke: incomplete table: missing {missing}, no replies {bad}, "
                  f"no echo server over {no_echo}, floor {floor_us}", file=sys.stderr)
            return 1

    # RESULTS.md and the chart
    os.makedirs(a.out, exist_ok=True)
    png = os.path.join(a.out, "results.png")
    dat = os.path.join(a.out, "results.dat")
    shown = [k for k in KDCS if any(kk == k for kk, *_ in rows)]
    with open(dat, "w") as f:
        for i, key in enumerate(("rate", "p99")):  # gnuplot index 0, 1
            if i > 0:
                f.write("\n\n")
            f.write("load " + " ".join(f'"{k}"' for k in shown) + "\n")
            for req, tr, loader in loads:
                vals = []
                for k in shown:
                    r = rows.get((k, req, tr, loader))
                    vals.append(str(r[key] if r and r[key] else 0))
                f.write(f'"{req} {tr} {loader}" ' + " ".join(vals) + "\n")
    gp = f"""
set terminal pngcairo size 1100,800 font ",10" noenhanced
set output "{png}"
set multiplot layout 2,1 title "KDCs on loopback: Orthrus, MIT krb5kdc, Heimdal (aes256-cts-hmac-sha1-96)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key top right
set grid ytics
set xtics nomirror rotate by -20
set bmargin 5
set ylabel "replies/s"
plot for [i=2:{len(shown) + 1}] "{dat}" index 0 using i:xtic(1) title columnheader(i)
set ylabel "p99 latency (us)"
set logscale y
plot for [i=2:{len(shown) + 1}] "{dat}" index 1 using (column(i) > 0 ? column(i) : 1/0):xtic(1) title columnheader(i)
unset multiplot
"""
    try:
        subprocess.run(["gnuplot"], input=gp, text=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report: gnuplot failed: {e} {getattr(e, 'stderr', '')}", file=sys.stderr)
        if a.smoke:
            return 1
    os.unlink(dat)

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    note = os.environ.get("BENCH_NOTE", "")
    md = [f"# `make bench` results\n",
          f"{now}; {os.cpu_count()} CPUs ({cpu_model()}); Linux {platform.release()}; "
          f"{a.principals} principals, {a.seconds} s per row; "
          f"aes256-cts-hmac-sha1-96 only, TGS-REQs with an authenticator subkey.\n"]
    if note:
        md.append(note + "\n")
    md.append("![replies/s and p99 latency per KDC and load](results.png)\n")
    md.append("| " + " | ".join(head) + " |")
    md.append("|" + "|".join("---" for _ in head) + "|")
    for t in table:
        md.append("| " + " | ".join(str(x) for x in t) + " |")
    md.append("")
    md.append("KDC CPU: user+system time of every process of the KDC (/proc/PID/stat) "
              "over the replies.  slapd CPU us/req: the directory server's "
              "likewise, in the LDAP rows (scenario 8 of issue 11); there CPU vs MIT "
              "compares KDC + slapd.  instr/req: callgrind on the KDC process alone "
              "(one worker for Orthrus, one process for MIT and Heimdal), counters zeroed "
              "after the start, one request in flight.  x floor: KDC CPU over the floor "
              "below (the echo server's CPU at the same load and transport plus the "
              "cryptography of one TGS-REQ).  The loaders run on the same machine.\n")
    md.append("## Floors\n")
    md.append(f"- The cryptography of one TGS-REQ alone (bench/kdc_load.c "
              f"floor_crypto: decrypt ticket and authenticator, verify the body "
              f"checksum, encrypt the new ticket and the reply part in a fresh subkey; "
              f"the subkey's two derivations included, the long-lived keys' not): "
              f"{fmt(floor_us, 2)} us, {fmt(floor_instr)} instructions.")
    for (t, k), v in sorted(echo.items(), key=echo_order):
        how = ("" if t == "udp" else
               ", a connection per request as in the TCP rows")
        md.append(f"- A trivial {t.upper()} echo server (bench/{t}_echo.c){how}, "
                  f"{k} in flight: {fmt(v['cpu'], 1)} us of server CPU per round trip, "
                  f"{fmt(v['rate'])} replies/s.")
    md.append("")
    md.append("## Targets (issue 9)\n")
    md.append("| target | value | |")
    md.append("|---|---|---|")
    for w, v, s in targets:
        md.append(f"| {w} | {v} | {s} |")
    md.append("")
    if ldap_lines:
        md.append("## A KDC serving from an LDAP replica (issue 11, scenario 8)\n")
        md.extend(f"- {line}." for line in ldap_lines)
        md.append("")
    with open(os.path.join(a.out, "RESULTS.md.new"), "w") as f:
        f.write("\n".join(md) + "\n")
    # Hand-written analysis after the marker survives a new run.
    old = os.path.join(a.out, "RESULTS.md")
    tail = ""
    if os.path.exists(old):
        with open(old) as f:
            s = f.read()
        i = s.find("<!-- analysis -->")
        if i >= 0:
            tail = s[i:]
    with open(os.path.join(a.out, "RESULTS.md.new"), "a") as f:
        if tail:
            f.write("\n" + tail)
    os.replace(os.path.join(a.out, "RESULTS.md.new"), old)
    print(f"wrote {old} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
