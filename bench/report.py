#!/usr/bin/env python3
"""bench/report.py — turn one bench run's measurements into the table.

    report.py RESULTS_DIR [--readme bench/README.md]

RESULTS_DIR is what bench/run.sh collected:

  facts           key=value lines (the machine, the command, each row's
                  status, counts; see run.sh)
  r1.K.json       hyperfine rounds: shim (passthrough), bare-exec
  r2.K.json       hyperfine rounds: shim-to-stub, stub (alone)
  r2-load.json    hyperfine: engine-start (the engine with no arguments)
  r3.json         hyperfine: resolve (cold cache)
  r3-phase.*.err  stderr of row 3's TORCHSHIM_TIMING=1 runs ("timing: k=v ms")
  r4-phase.*.err  the same for row 4
  r4.json         hyperfine: resolve-slow (cold cache, slow link)
  r4-one.json     hyperfine: one-transfer (curl through the slow link)
  r4-direct.json  hyperfine: one-transfer-direct (curl to the loopback mirror)
  r5-rss.*        /usr/bin/time -f %M outputs (KiB)
  r6.json         hyperfine: cold (pairing from metadata, cache wiped)
  r6-phase.*.err  stderr of row 6's TORCHSHIM_TIMING=1 runs
  r7.K.json       hyperfine rounds: shim-to-stub, stub (row 6 warm)

Prints the report (Markdown: machine, command, ONE table, notes) on stdout;
with --readme, also puts it between the markers
"<!-- bench:begin -->" and "<!-- bench:end -->" of that file.
Every figure is a median of hyperfine's runs (of all rounds) unless said
otherwise."""

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


def hf(d, name, *commands):
    """The timings of COMMANDS (hyperfine -n names) from NAME.json, or from
    the rounds NAME.1.json, NAME.2.json ... merged: a list of
    {"times": [seconds...], "median": seconds} in the order asked, or []
    when any of them is missing."""
    paths = [os.path.join(d, name + ".json")]
    paths += sorted(glob.glob(os.path.join(d, glob.escape(name) + ".[0-9]*.json")))
    seen = {}
    for path in paths:
        try:
            with open(path) as f:
                results = json.load(f)["results"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for r in results:
            seen.setdefault(r.get("command"), []).extend(r.get("times") or [])
    out = []
    for c in commands:
        times = seen.get(c)
        if not times:
            return []
        out.append({"times": times, "median": statistics.median(times)})
    return out


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
    return len(result["times"])


def goal(ok):
    return "met" if ok else "MISSED"


def phases(d, prefix):
    """Median per phase over the timing runs PREFIX.*.err: {phase: seconds}."""
    seen = {}
    for path in sorted(glob.glob(os.path.join(d, glob.escape(prefix) + ".*.err"))):
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
    r = hf(d, "r1", "shim", "bare-exec")
    if len(r) != 2 or "r1_status" in facts:
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
    notes.append("Row 1: %d runs each, in %s rounds of hyperfine -N with the order swapped "
                 "every round, after %s warm-up runs; the no-op tool is %s."
                 % (runs(shim), facts.get("r1_rounds", "?"), facts.get("r1_warmup", "?"),
                    facts.get("r1_tool_link", "?")))
    return med(shim)


def row2(d, facts, rows, notes, base):
    r = hf(d, "r2", "shim-to-stub", "stub")
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
    load = hf(d, "r2-load", "engine-start")
    load_text = ""
    if load:
        load_text = ("; the engine's start alone (`torchshim-engine` with no arguments: loading "
                     "its %s shared libraries) takes %s" % (facts.get("engine_libs", "?"),
                                                            ms(med(load[0]))))
    notes.append("Row 2: %d runs each, in %s rounds; the stub (`#!/usr/bin/python3`, records its argv and "
                 "exits) is timed alone in the same hyperfine run and subtracted; the "
                 "recorded command was `%s`; requests to the mirror during the timed runs: %s%s."
                 % (runs(full), facts.get("r2_rounds", "?"), facts.get("r2_recorded", "?"), facts.get("r2_requests", "?"),
                    load_text))


def row3(d, facts, rows, notes, base):
    what = "conda resolution, cold cache: `%s`" % facts.get("r3_cmd", "torchshim resolve ...")
    r = hf(d, "r3", "resolve")
    if facts.get("r3_status", "") != "ok" or len(r) != 1:
        rows.append(["3", what, facts.get("r3_status", "not measured"), "", "", "", ""])
        return None
    t = med(r[0])
    ph = phases(d, "r3-phase")
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


def row4(d, facts, rows, notes, local, local_fetch):
    """Latency added by the slow link: row 4 minus row 3 (the same work on
    loopback), against what one transfer on a fresh connection gains from
    the same link (curl through it minus curl directly) and N of those."""
    mode = facts.get("r4_mode", "skipped")
    rtt = float(facts.get("r4_rtt_ms", "200"))
    what = "the same against a mirror %d ms of round trip away" % rtt
    goal_text = "added latency about one set of round trips, not their sum"
    r = hf(d, "r4", "resolve-slow")
    one = hf(d, "r4-one", "one-transfer")
    direct = hf(d, "r4-direct", "one-transfer-direct")
    if mode == "skipped" or not r or not one or not direct or not local:
        rows.append(["4", what, "skipped", "", "", goal_text,
                     "n/a: " + (facts.get("r4_note", "no result") if mode == "skipped"
                                else "needs rows 3 and 4 measured")])
        return
    t = med(r[0])
    # What the link added: from the engine's own fetch phase when it reports
    # one (it leaves out process start, parsing and selection, whose time
    # varies with the machine's load between rows), else from the totals.
    fetch_slow = phases(d, "r4-phase").get("fetch")
    if fetch_slow is not None and local_fetch is not None:
        added = fetch_slow - local_fetch
        added_how = "fetch phase %s, on loopback %s: %s added" % (ms(fetch_slow), ms(local_fetch),
                                                                  ms(added))
    else:
        added = t - local
        added_how = "row 3 + %s added" % ms(added)
    one_set = med(one[0]) - med(direct[0])
    try:
        n = int(round(float(facts.get("r4_requests", "0"))))
    except ValueError:
        n = 0
    seq = n * one_set
    if n >= 2:
        status = goal(added < (one_set + seq) / 2.0)
        ratio = "%.2fx the sum" % (added / seq)
    else:
        status = "n/a: %s transfer(s) per run, nothing to overlap" % facts.get("r4_requests", "?")
        ratio = ""
    rows.append(["4", "%s (%s), %s transfers" % (what, mode, facts.get("r4_requests", "?")),
                 "%s in all; %s" % (ms(t), added_how),
                 "one set: %s; %d one after another: %s" % (ms(one_set), n, ms(seq)),
                 ratio, goal_text + " (added < (one + sum) / 2)", status])
    if mode == "netem":
        how = ("nginx and the client in a network namespace whose loopback has "
               "`tc qdisc add dev lo root netem delay %g ms`" % (rtt / 2))
    else:
        how = ("netem was not available (%s), so the latency is emulated by bench/delay-proxy.py: "
               "%g ms each way per chunk, plus one round trip before a new connection's first "
               "bytes (the TCP handshake)" % (facts.get("r4_note", "?"), rtt / 2))
    notes.append("Row 4: %d runs, cold cache; %s. One set = what the link adds to one transfer on "
                 "a fresh connection: `curl` through it (%s) minus `curl` to the loopback mirror "
                 "(%s), medians of %d; transfers counted in the mirror's access log; the fetch "
                 "phases are medians of %s TORCHSHIM_TIMING=1 runs here and row 3's on loopback." %
                 (runs(r[0]), how, ms(med(one[0])), ms(med(direct[0])), runs(one[0]),
                  facts.get("r4_phase_runs", "?")))


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
    idle = facts.get("r5_idle_kib", "")
    notes.append("Row 5: `/usr/bin/time -f %%M` around `torchshim resolve` (the front end "
                 "execs the engine in the same process), cold cache, MB = 1024 KiB%s."
                 % ("; the engine doing nothing (no arguments) peaks at %.1f MB"
                    % (int(idle) / 1024.0) if idle.isdigit() else ""))


def row6(d, facts, rows, notes, base):
    what = ("pairing from the companions' METADATA, cold cache: `pip install torch torchvision "
            "torchaudio --index-url .../whl/cu130` on releases no table knows, to exec of the stub")
    r = hf(d, "r6", "cold")
    if not r or facts.get("r6_check") != "ok":
        rows.append(["6", what, "not measured", "", "", "none set",
                     "n/a: " + facts.get("r6_check", "no result")])
        return
    ph = phases(d, "r6-phase")
    parts = ", ".join("%s %s" % (k, ms(ph[k])) for k in ("metadata",) if k in ph)
    rows.append(["6", what, ms(med(r[0])) + (" (%s)" % parts if parts else ""),
                 "row 1: " + (ms(base) if base else "n/a"),
                 "%.0fx row 1" % (med(r[0]) / base) if base else "", "none set", "-"])
    notes.append("Row 6: %d runs, the cache wiped before each; the mirror is a flat directory "
                 "without PEP 658 files, so torchshim reads torchvision's and torchaudio's "
                 "METADATA with range requests (%s ranged requests in the first run); the "
                 "recorded command was `%s`." % (runs(r[0]), facts.get("r6_ranges", "?"),
                                                 facts.get("r6_recorded", "?")))


def row7(d, facts, rows, notes, base):
    what = "row 6 warm: listing and metadata cached, start to exec of the stub"
    r = hf(d, "r7", "shim-to-stub", "stub")
    if len(r) != 2:
        rows.append(["7", what, "not measured", "", "", "<= %.0f ms" % GOAL_WARM_MS,
                     "n/a: " + facts.get("r6_check", "no result")])
        return
    full, stub = r
    t = med(full) - med(stub)
    req = facts.get("r7_requests", "?")
    rows.append(["7", what, "%s (shim+stub %s - stub %s), %s requests" % (ms(t), ms(med(full)),
                 ms(med(stub)), req), "row 1: " + (ms(base) if base else "n/a"),
                 "%.0fx row 1" % (t / base) if base else "", "<= %.0f ms, no request" % GOAL_WARM_MS,
                 goal(t * 1000 <= GOAL_WARM_MS and req == "0")])
    notes.append("Row 7: %d runs each, in %s rounds, the stub timed alone and subtracted as in "
                 "row 2; requests to the mirror during the timed runs: %s." %
                 (runs(full), facts.get("r2_rounds", "?"), req))


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
    row4(d, facts, rows, notes, local, phases(d, "r3-phase").get("fetch"))
    row5(d, facts, rows, notes)
    row6(d, facts, rows, notes, base)
    row7(d, facts, rows, notes, base)
    out = [
        "machine: %s, nproc %s, %s (load average %s at the start)"
        % (facts.get("cpu", "?"), facts.get("nproc", "?"), facts.get("kernel", "?"),
           facts.get("loadavg", "?")),
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
