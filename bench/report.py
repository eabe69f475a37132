#!/usr/bin/env python3
"""bench/report.py — turn one bench run's measurements into the table.

    report.py RESULTS_DIR [--readme bench/README.md]

RESULTS_DIR is what bench/run.sh collected:

  facts           key=value lines (the machine, the command, each row's
                  status, counts; see run.sh)
  r1.json         hyperfine: [shim passthrough, bare-exec]
  r2.json         hyperfine: [shim -> stub, stub alone]
  r3.json         hyperfine: [torchshim resolve, cold cache]
  r3-phase.*.err  stderr of the TORCHSHIM_TIMING=1 runs ("timing: k=v ms")
  r4.json         hyperfine: [torchshim resolve, cold cache, slow link]
  r4-one.json     hyperfine: [curl, one transfer on a fresh connection]
  r5-rss.*        /usr/bin/time -f %M outputs (KiB)

Prints the report (Markdown: machine, command, ONE table, notes) on stdout;
with --readme, also puts it between the markers
"<!-- bench:begin -->" and "<!-- bench:end -->" of that file.
Every figure is a median of hyperfine's runs unless said otherwise."""

import glob
import json
import os
import re
import statistics
import sys

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
PHASES = ("fetch", "decompress", "parse", "select")
TIMING_RE = re.compile(r"timing:\s*(.*)$")
PAIR_RE = re.compile(r"(\w+)=([0-9.]+)\s*(ms|s|us)?")

GOAL_RATIO_PASSTHROUGH = 1.2
GOAL_WARM_MS = 25.0
GOAL_RSS_MB = 20.0


def read_facts(d):
    facts = {}
    try:
        with open(os.path.join(d, "facts")) as f:
            for line in f:
                k, sep, v = line.rstrip("\n").partition("=")
                if sep:
                    facts[k] = v
    except OSError:
        pass
    return facts


def hf(d, name):
    """The results of a hyperfine JSON export, [] when absent."""
    try:
        with open(os.path.join(d, name)) as f:
            return json.load(f)["results"]
    except (OSError, ValueError, KeyError):
        return []


def med(result):
    return result["median"]


def ms(seconds):
    v = seconds * 1000.0
    if v < 10:
        return "%.2f ms" % v
    if v < 100:
        return "%.1f ms" % v
    return "%.0f ms" % v


def runs(result):
    return len(result.get("times") or [])


def goal(ok):
    return "met" if ok else "MISSED"


def phases(d):
    """Median per phase over the timing runs: {phase: seconds}."""
    seen = {}
    for path in sorted(glob.glob(os.path.join(d, "r3-phase.*.err"))):
        per_run = {}
        with open(path, errors="replace") as f:
            for line in f:
                m = TIMING_RE.search(line)
                if not m:
                    continue
                for k, v, unit in PAIR_RE.findall(m.group(1)):
                    scale = {"s": 1.0, "us": 1e-6}.get(unit, 1e-3)
                    per_run[k] = per_run.get(k, 0.0) + float(v) * scale
        for k, v in per_run.items():
            seen.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in seen.items()}


def rss_kib(d):
    vals = []
    for path in glob.glob(os.path.join(d, "r5-rss.*")):
        with open(path, errors="replace") as f:
            lines = [l.strip() for l in f if l.strip()]
        # /usr/bin/time -o writes "Command exited with non-zero status N"
        # before the figure when the command failed: take the last line.
        if lines and lines[-1].isdigit():
            vals.append(int(lines[-1]))
    return vals


def row1(d, facts, rows, notes):
    r = hf(d, "r1.json")
    if len(r) != 2:
        rows.append(["1", "passthrough", "not measured", "", "", "<= %.1fx" % GOAL_RATIO_PASSTHROUGH,
                     "n/a: " + facts.get("r1_status", "no result")])
        return None
    shim, bare = r
    ratio = med(shim) / med(bare)
    rows.append(["1", "passthrough: `pip %s` via the shim, which execs a static no-op `pip`"
                 % facts.get("r1_args", ""),
                 ms(med(shim)), "bare-exec: " + ms(med(bare)),
                 "%.2fx" % ratio, "<= %.1fx" % GOAL_RATIO_PASSTHROUGH,
                 goal(ratio <= GOAL_RATIO_PASSTHROUGH)])
    notes.append("Row 1: %d runs each after %s warm-up runs (hyperfine -N); the no-op tool is %s."
                 % (runs(shim), facts.get("r1_warmup", "?"), facts.get("r1_tool_link", "?")))
    return med(shim)


def row2(d, facts, rows, notes, base):
    r = hf(d, "r2.json")
    what = "intercepted: `pip install torch --index-url https://download.pytorch.org/whl/cu121`, warm cache, start to exec of the stub pip"
    check = facts.get("r2_check", "no result")
    if len(r) != 2:
        rows.append(["2", what, "not measured", "", "", "<= %.0f ms" % GOAL_WARM_MS, "n/a: " + check])
        return
    full, stub = r
    t = med(full) - med(stub)
    measured = "%s (shim+stub %s - stub %s)" % (ms(t), ms(med(full)), ms(med(stub)))
    ratio = "%.0fx row 1" % (t / base) if base else ""
    status = goal(t * 1000.0 <= GOAL_WARM_MS)
    if check != "ok":
        status = "FAILED: " + check
    rows.append(["2", what, measured, "row 1: " + (ms(base) if base else "n/a"), ratio,
                 "<= %.0f ms" % GOAL_WARM_MS, status])
    notes.append("Row 2: %d runs each; the stub (`#!/usr/bin/python3`, records its argv and "
                 "exits) is timed alone in the same hyperfine run and subtracted; the "
                 "recorded command was `%s`." % (runs(full), facts.get("r2_recorded", "?")))


def row3(d, facts, rows, notes, base):
    what = "conda resolution, cold cache: `%s`" % facts.get("r3_cmd", "torchshim resolve ...")
    r = hf(d, "r3.json")
    if facts.get("r3_status", "") != "ok" or len(r) != 1:
        rows.append(["3", what, facts.get("r3_status", "not measured"), "", "", "", ""])
        return None
    t = med(r[0])
    ph = phases(d)
    parts = ", ".join("%s %s" % (p, ms(ph[p]) if p in ph else "n/a") for p in PHASES)
    extra = [k for k in ph if k not in PHASES]
    if extra:
        parts += ", " + ", ".join("%s %s" % (k, ms(ph[k])) for k in sorted(extra))
    rows.append(["3", what, "%s (%s)" % (ms(t), parts), "row 1: " + (ms(base) if base else "n/a"),
                 "%.0fx row 1" % (t / base) if base else "", "none set", "-"])
    missing = [p for p in PHASES if p not in ph]
    notes.append("Row 3: %d runs, the cache wiped before each (hyperfine --prepare); phases are "
                 "medians of %s runs with TORCHSHIM_TIMING=1%s." %
                 (runs(r[0]), facts.get("r3_phase_runs", "?"),
                  "; not reported by the engine: " + ", ".join(missing) if missing else ""))
    return t


def row4(d, facts, rows, notes, local):
    mode = facts.get("r4_mode", "skipped")
    rtt = float(facts.get("r4_rtt_ms", "200"))
    what = "the same against a mirror %d ms of round trip away" % rtt
    goal_text = "about one set of round trips, not their sum"
    r, one = hf(d, "r4.json"), hf(d, "r4-one.json")
    if mode == "skipped" or len(r) != 1 or len(one) != 1:
        rows.append(["4", what, "skipped", "", "", goal_text,
                     "n/a: " + facts.get("r4_note", "no result")])
        return
    t = med(r[0])
    t1 = med(one[0])
    try:
        n = float(facts.get("r4_requests", "0"))
    except ValueError:
        n = 0.0
    nint = int(round(n))
    seq = nint * t1
    if nint >= 2:
        status = goal(t < (t1 + seq) / 2.0)
        ratio = "%.2fx the sum" % (t / seq)
    else:
        status = "n/a: %s transfer(s) per run, nothing to overlap" % facts.get("r4_requests", "?")
        ratio = ""
    rows.append(["4", what + (" (%s)" % mode),
                 "%s for %s transfers" % (ms(t), facts.get("r4_requests", "?")),
                 "sequential: %d x %s = %s; one set: %s" % (nint, ms(t1), ms(seq), ms(t1)),
                 ratio, goal_text + " (< (one + sum) / 2)", status])
    if mode == "netem":
        how = ("nginx and the client in a network namespace whose loopback has "
               "`tc qdisc ... netem delay %g ms`" % (rtt / 2))
    else:
        how = ("netem was not available (%s), so the latency is emulated by bench/delay-proxy.py: "
               "%g ms each way per chunk, plus one round trip before a new connection's first "
               "bytes (the TCP handshake)" % (facts.get("r4_note", "?"), rtt / 2))
    notes.append("Row 4: %d runs, cold cache; %s. One set = one transfer on a fresh connection "
                 "(`curl`, median of %d); transfers counted in the mirror's access log (%s per "
                 "run); the engine's own fetch phase took %s%s." %
                 (runs(r[0]), how, runs(one[0]), facts.get("r4_requests", "?"),
                  facts.get("r4_fetch_ms", "?") + " ms",
                  "; the local work of row 3 is %s of the total" % ms(local) if local else ""))


def row5(d, facts, rows, notes):
    what = "peak RSS of the engine during row 3"
    vals = rss_kib(d)
    if not vals:
        rows.append(["5", what, "n/a", "", "", "<= %.0f MB" % GOAL_RSS_MB,
                     "n/a: " + facts.get("r5_status", "no result")])
        return
    peak = max(vals) / 1024.0
    rows.append(["5", what, "%.1f MB (max of %d runs, median %.1f MB)"
                 % (peak, len(vals), statistics.median(vals) / 1024.0),
                 "", "%.2fx goal" % (peak / GOAL_RSS_MB), "<= %.0f MB" % GOAL_RSS_MB,
                 goal(peak <= GOAL_RSS_MB)])
    notes.append("Row 5: `/usr/bin/time -f %M` around `torchshim resolve` (the front end "
                 "execs the engine in the same process), cold cache, MB = 1024 KiB.")


def table(header, rows):
    def line(cells):
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
    out = [line(header), "|" + "|".join(["---"] * len(header)) + "|"]
    out += [line(r) for r in rows]
    return out


def report(d):
    facts = read_facts(d)
    rows, notes = [], []
    base = row1(d, facts, rows, notes)
    row2(d, facts, rows, notes, base)
    local = row3(d, facts, rows, notes, base)
    row4(d, facts, rows, notes, local)
    row5(d, facts, rows, notes)
    out = [
        "machine: %s x %s, %s (nproc %s)" % (facts.get("nproc", "?"), facts.get("cpu", "?"),
                                             facts.get("kernel", "?"), facts.get("nproc", "?")),
        "command: `%s`" % facts.get("command", "?"),
        "date: %s, torchshim %s" % (facts.get("date", "?"), facts.get("version", "?")),
        "",
    ]
    out += table(["#", "measurement", "result (median)", "baseline", "ratio", "goal", "status"],
                 rows)
    out.append("")
    out += ["- " + n for n in notes]
    return "\n".join(out) + "\n"


def update_readme(path, text):
    with open(path) as f:
        doc = f.read()
    b, e = doc.find(BEGIN), doc.find(END)
    if b < 0 or e < b:
        doc = doc.rstrip("\n") + "\n\n" + BEGIN + "\n" + END + "\n"
        b, e = doc.find(BEGIN), doc.find(END)
    doc = doc[:b + len(BEGIN)] + "\n" + text + doc[e:]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(doc)
    os.replace(tmp, path)


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--readme"):
        sys.stderr.write("usage: report.py RESULTS_DIR [--readme FILE]\n")
        return 2
    text = report(argv[1])
    sys.stdout.write(text)
    if len(argv) == 4:
        update_readme(argv[3], text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
