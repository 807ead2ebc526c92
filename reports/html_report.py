"""report.html: one self-contained page of a parbench report (docs/report-html.md).

Written by plot.py (--html PATH) after it drew the plots: the summary, break-even, start-up and
synchronisation tables from the report's CSV rows (already read and normalised by plot.py), every
plot inline (SVG as markup, PNG as a data: URI), the warnings, the machine (with its topology)
and build, and how it was measured; W past the SMT boundary is marked in the per-W tables.
Nothing is loaded from anywhere else: it opens from a file system or a CI artifact.

Every value taken from a report or the machine is escaped (esc()): a CPU model or a backend cell
holding markup shows as text. compare_plot.py builds its page with page() too.
"""

import base64
import html
import math
import os
import re
import stat
import tempfile

UMASK = os.umask(0)
os.umask(UMASK)


def esc(value):
    """Text for an HTML element or a quoted attribute."""
    return html.escape(str(value), quote=True)


# Laptop first; print: no shading, plots kept whole, tables wrap instead of overflowing.
CSS = """
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5f6368; --rule: #d0d4d9; --band: #f3f5f7; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
       margin: 0 auto; padding: 1.2rem 1.5rem 3rem; max-width: 78rem; }
h1 { font-size: 1.5rem; margin: 0 0 .2rem; } h2 { font-size: 1.2rem; margin: 2rem 0 .6rem;
     border-bottom: 1px solid var(--rule); padding-bottom: .2rem; } h3 { font-size: 1.02rem; margin: 1.3rem 0 .4rem; }
.subtitle { color: var(--muted); margin: 0 0 1rem; }
nav { font-size: .9rem; margin: .4rem 0 1rem; } nav a { margin-right: .9rem; }
.table-wrap { overflow-x: auto; margin: .3rem 0 .8rem; }
table { border-collapse: collapse; font-size: .88rem; font-variant-numeric: tabular-nums; }
th, td { padding: .22rem .6rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; } td.num, th.num { text-align: right; white-space: nowrap; }
table.kv th { width: 14rem; background: none; font-weight: 600; } table.kv td { overflow-wrap: anywhere; }
code { font: .86em/1.3 ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: 1rem; }
figure.plot { margin: 0; border: 1px solid var(--rule); border-radius: 4px; padding: .4rem; background: #fff; }
figure.plot svg, figure.plot img { display: block; width: 100%; height: auto; }
figcaption { font-size: .8rem; color: var(--muted); padding-top: .2rem; }
.plot-missing { outline: 3px solid #d62728; }
.warnings li { margin: .15rem 0; } .none { color: var(--muted); }
.note { font-size: .85rem; color: var(--muted); margin: 0 0 .8rem; } .smt { font-size: .75em; color: #8a5a00; }
.verdict-regressed, .verdict-failed { color: #b3261e; font-weight: 600; } .verdict-improved { color: #1e7d32; }
@media (max-width: 40rem) { .plots { grid-template-columns: 1fr; } body { padding: .8rem; } }
@media print {
  body { font-size: 10pt; max-width: none; padding: 0; } nav { display: none; }
  h2 { break-after: avoid; } .table-wrap { overflow: visible; }
  table { font-size: 8.5pt; width: 100%; } td.num { white-space: normal; } th { background: none; }
  .plots { display: block; } figure.plot { break-inside: avoid; border: none; margin: 0 0 .6rem; }
  figure.plot svg, figure.plot img { max-width: 17cm; }
  a { color: inherit; text-decoration: none; }
}
"""

# Runs in the page: counts the plots that are present and drawn at a non-zero size and writes
# the outcome into <body data-plots-ok="N/M">, which scripts/check-html reads from the DOM.
SCRIPT = """
window.addEventListener("load", function () {
  var figures = document.querySelectorAll("figure.plot");
  var ok = 0;
  for (var i = 0; i < figures.length; i++) {
    var image = figures[i].querySelector("svg, img");
    var box = image ? image.getBoundingClientRect() : null;
    var drawn = box !== null && box.width > 0 && box.height > 0 &&
        (image.tagName.toLowerCase() !== "img" || (image.complete && image.naturalWidth > 0));
    if (drawn) ok++; else figures[i].classList.add("plot-missing");
  }
  document.body.setAttribute("data-plots-ok", ok + "/" + figures.length);
});
"""


def page(title, subtitle, body, plot_count):
    """A whole document: body is HTML already escaped; plot_count figures class="plot" in it."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>%s</title>\n<style>%s</style>\n<script>%s</script>\n</head>\n"
            "<body data-plots-expected=\"%d\">\n<h1>%s</h1>\n<p class=\"subtitle\">%s</p>\n%s\n</body>\n</html>\n"
            % (esc(title), CSS, SCRIPT, plot_count, esc(title), esc(subtitle), body))


XML_PROLOGUE = re.compile(r"\A\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.S)
SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)  # matplotlib's RDF block: not needed inline
SVG_ID = re.compile(r'\bid="([^"]+)"')
SVG_REF = re.compile(r'(url\(#|href="#)([^)"]+)')


def inline_svg(path, prefix):
    """The SVG file's markup for an HTML page: no XML prologue, ids prefixed so that the clip
    paths and markers of two plots on one page cannot collide, sized by the page (viewBox kept)."""
    with open(path, encoding="utf-8") as f:
        return svg_markup(f.read(), prefix)


def svg_markup(text, prefix):
    """SVG document text as markup for a page (see inline_svg)."""
    text = XML_PROLOGUE.sub("", text, count=1)
    text = SVG_METADATA.sub("", text, count=1)
    text = SVG_ID.sub(lambda m: 'id="%s-%s"' % (prefix, m.group(1)), text)
    text = SVG_REF.sub(lambda m: "%s%s-%s" % (m.group(1), prefix, m.group(2)), text)
    head_end = text.find(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end])
    return head + ' role="img"' + text[head_end:]


def inline_png(path, alt):
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    return '<img alt="%s" src="data:image/png;base64,%s">' % (esc(alt), data)


def figure(out_dir, name, index):
    """A <figure class="plot"> of plot `name` (its SVG, else its PNG), or None when neither exists."""
    svg = os.path.join(out_dir, name + ".svg")
    png = os.path.join(out_dir, name + ".png")
    if os.path.isfile(svg):
        content = inline_svg(svg, "p%d" % index)
    elif os.path.isfile(png):
        content = inline_png(png, name)
    else:
        return None
    return '<figure class="plot" data-plot="%s">%s<figcaption>%s</figcaption></figure>' % (esc(name), content,
                                                                                          esc(name))


# Number formatting: the CSV cells are the values; these only choose units and digits.

def to_float(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def fmt_time(seconds):
    s = to_float(seconds)
    if s is None:
        return esc(seconds or "-")
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if abs(s) >= scale or unit == "ns":
            return "%.3g %s" % (s / scale, unit)
    return "%.3g s" % s


def fmt_rate(value):
    v = to_float(value)
    if v is None:
        return esc(value or "-")
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= scale:
            return "%.3g %s" % (v / scale, suffix)
    return "%.3g" % v


def fmt_num(value, digits=3):
    v = to_float(value)
    return esc(value or "-") if v is None else "%.*g" % (digits, v)


def fmt_percent(fraction):
    v = to_float(fraction)
    return esc(fraction or "-") if v is None else "%.1f%%" % (100 * v)


def fmt_speedup(row):
    s = to_float(row.get("speedup"))
    if s is None:
        return "-"
    lo, hi = to_float(row.get("speedup_min")), to_float(row.get("speedup_max"))
    spread = " [%.3g, %.3g]" % (lo, hi) if lo is not None and hi is not None else ""
    return "%.3g%s" % (s, spread)


def table(headers, rows, numeric=()):
    """headers: column names; rows: lists of cells already escaped; numeric: right-aligned columns."""
    head = "".join('<th%s>%s</th>' % (' class="num"' if i in numeric else "", esc(h)) for i, h in enumerate(headers))
    body = "".join("<tr>%s</tr>" % "".join('<td%s>%s</td>' % (' class="num"' if i in numeric else "", c)
                                           for i, c in enumerate(r)) for r in rows)
    return '<div class="table-wrap"><table><thead><tr>%s</tr></thead><tbody>%s</tbody></table></div>' % (head, body)


def key_values(pairs):
    rows = "".join("<tr><th>%s</th><td>%s</td></tr>" % (esc(k), v) for k, v in pairs)
    return '<div class="table-wrap"><table class="kv"><tbody>%s</tbody></table></div>' % rows


def value_text(value):
    """A metadata value as escaped text: lists joined, objects as key=value."""
    if isinstance(value, list):
        return esc(", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return esc("; ".join("%s=%s" % (k, v) for k, v in value.items()))
    return esc(value)


# --- The machine's shape (metadata machine.topology, schema 5 reports; older ones have none) ----

def topology_of(meta):
    machine = meta.get("machine") if isinstance(meta, dict) else None
    topo = machine.get("topology") if isinstance(machine, dict) else None
    return topo if isinstance(topo, dict) else None


def count_in(obj, key):
    """A positive integer field, else None (a hand-edited or foreign report may hold anything)."""
    n = obj.get(key) if isinstance(obj, dict) else None
    return n if isinstance(n, int) and not isinstance(n, bool) and n >= 1 else None


def plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def size_text(n):
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return "%g %s" % (float("%.3g" % (n / scale)), unit)
    return "%d B" % n


def caches_text(topo, last_only=False):
    """The caches as "L1 32 KiB x 2, L2 1 MiB x 2, L3 32 MiB" (x instances where there are several);
    last_only: the last-level cache alone."""
    caches = topo.get("caches") if isinstance(topo.get("caches"), list) else []
    caches = sorted((c for c in caches if count_in(c, "level") and count_in(c, "bytes")), key=lambda c: c["level"])
    if last_only:
        caches = caches[-1:]
    return ", ".join("L%d %s%s" % (c["level"], size_text(c["bytes"]),
                                   " x %d" % c["instances"] if (count_in(c, "instances") or 1) > 1 else "")
                     for c in caches)


def pinning_of(meta):
    suite = meta.get("suite") if isinstance(meta, dict) else None
    pin = suite.get("pin") if isinstance(suite, dict) else None
    return pin if isinstance(pin, str) and pin else None


def topology_phrase(meta):
    """The machine's shape in one phrase for captions: "1 package, 2 cores x 1 thread, L3 32 MiB;
    2 of 2 CPUs allowed; pinning: compact"; "" for a report without a topology."""
    topo = topology_of(meta)
    if topo is None:
        return ""
    parts = []
    packages, numa = count_in(topo, "packages"), count_in(topo, "numa_nodes")
    cores, threads = count_in(topo, "cores"), count_in(topo, "smt_per_core")
    if packages:
        parts.append(plural(packages, "package"))
    if numa and numa > 1:  # one node is the common case: said only when it is not
        parts.append(plural(numa, "NUMA node"))
    if cores:
        parts.append(plural(cores, "core") + (" x %s" % plural(threads, "thread") if threads else ""))
    cache = caches_text(topo, last_only=True)
    if cache:
        parts.append(cache)
    phrase = ", ".join(parts)
    allowed, cpus = count_in(topo, "allowed_cpu_count"), count_in(topo, "cpus")
    if allowed:
        phrase += "; %d%s CPUs allowed" % (allowed, " of %d" % cpus if cpus else "")
    pin = pinning_of(meta)
    if pin:
        phrase += "; pinning: %s" % pin
    return phrase.lstrip("; ")


def smt_boundary(meta):
    """The largest W at which every worker has a physical core of its own, when the process may
    use SMT threads beyond it; None otherwise (no topology, or no SMT: W past the cores is then
    oversubscription, which the core count marks)."""
    topo = topology_of(meta)
    boundary = count_in(topo, "smt_boundary_workers") if topo else None
    if boundary is None:
        return None
    allowed = count_in(topo, "allowed_cpu_count")
    smt = allowed > boundary if allowed else (count_in(topo, "smt_per_core") or 1) > 1
    return boundary if smt else None


def smt_note(rows, boundary):
    """The note under a per-W table that holds W past the SMT boundary, else ""."""
    if boundary is None or not any((to_float(r.get("workers")) or 0) > boundary for r in rows):
        return ""
    return '<p class="note">W &gt; %d share physical cores (SMT): some workers run on hardware threads of one ' \
           'core and share its execution units and caches; such W are marked <span class="smt">SMT</span>.</p>' \
        % boundary


def workers_cell(r, boundary):
    """The W cell of a table row, marked when its workers share physical cores."""
    w = r.get("workers", "")
    mark = boundary is not None and (to_float(w) or 0) > boundary
    return esc(w) + (' <span class="smt">SMT</span>' if mark else "")


def requested_sizes(meta):
    suite = meta.get("suite") if isinstance(meta.get("suite"), dict) else {}
    for key in ("sizes", "samples"):  # schema 2 suites name them sizes, schema 1 samples
        if isinstance(suite.get(key), list):
            return {str(int(n)) for n in suite[key] if isinstance(n, (int, float))}
    return set()


def summary_rows(results, meta, kernel):
    """Aggregate rows of one kernel at the sizes the suite asked for (the break-even sweep adds
    other sizes to results.csv), in the report's order."""
    rows = [r for r in results if r.get("kernel") == kernel and r.get("row_type") == "aggregate"]
    requested = requested_sizes(meta)
    if requested and any(r.get("size") in requested for r in rows):
        rows = [r for r in rows if r.get("size") in requested]
    return rows


def summary_table(rows, boundary=None):
    several_params = len({r.get("params", "") for r in rows}) > 1
    several_sizes = len({r.get("size", "") for r in rows}) > 1
    headers = (["params"] if several_params else []) + ["backend", "schedule", "W"] + \
        (["size"] if several_sizes else []) + ["median time", "items/s", "speedup [min, max]", "efficiency", "cv",
                                               "status"]
    first_num = 3 + several_params
    numeric = set(range(first_num - 1, first_num + 5 + several_sizes))
    cells = []
    for r in rows:
        unit = r.get("unit", "items")
        status = r.get("status", "")
        if status != "ok" and r.get("error"):
            status = "%s: %s" % (status, r["error"])
        cells.append(([esc(r.get("params", ""))] if several_params else []) +
                     [esc(r.get("backend", "")), esc(r.get("schedule", "")), workers_cell(r, boundary)] +
                     ([esc(r.get("size", ""))] if several_sizes else []) +
                     [fmt_time(r.get("wall_s")), "%s %s/s" % (fmt_rate(r.get("items_per_s")), esc(unit)),
                      fmt_speedup(r), fmt_num(r.get("efficiency")), fmt_percent(r.get("wall_s_cv")), esc(status)])
    return table(headers, cells, numeric) + smt_note(rows, boundary)


def break_even_table(rows):
    cells = []
    for r in rows:
        size = r.get("break_even_size", "")
        shown = esc(size) + " " + esc(r.get("unit", "")) if size else '<span class="none">never beat serial on ' \
            'the sizes tried</span>'
        cells.append([esc(r.get("params", "")), esc(r.get("backend", "")), esc(r.get("schedule", "")),
                      esc(r.get("workers", "")), shown, esc(r.get("sizes_tried", "").replace(";", ", "))])
    return table(["params", "backend", "schedule", "W", "break-even size", "sizes tried"], cells, {3, 4})


def resolution_us(meta):
    timer = meta.get("timer") if isinstance(meta.get("timer"), dict) else {}
    ns = to_float(timer.get("resolution_ns"))
    return ns / 1000.0 if ns is not None and ns > 0 else None


def overhead_table(rows, meta, boundary=None):
    floor = resolution_us(meta)
    cells = []
    for r in rows:
        median = to_float(r.get("median_us"))
        if median is not None and floor is not None and median <= floor:
            shown = "&le; timer resolution (%.3g µs)" % floor
        elif median is not None and median <= 0:
            shown = "&le; 0 (below what the timer resolves)"
        else:
            shown = fmt_num(r.get("median_us"))
        cells.append([esc(r.get("mechanism", "")), esc(r.get("backend", "")), workers_cell(r, boundary), shown,
                      "[%s, %s]" % (fmt_num(r.get("min_us")), fmt_num(r.get("max_us")))])
    return table(["mechanism", "backend", "W", "median (µs)", "[min, max] (µs)"], cells, {2, 3, 4}) + \
        smt_note(rows, boundary)


def sync_table(rows, boundary=None):
    cells = []
    for r in rows:
        cells.append([esc(r.get("kernel", "")), esc(r.get("params", "")), esc(r.get("backend", "")),
                      esc(r.get("schedule", "")), workers_cell(r, boundary), fmt_time(r.get("sync_per_step_s")),
                      "[%s, %s]" % (fmt_time(r.get("sync_per_step_s_min")), fmt_time(r.get("sync_per_step_s_max")))])
    return table(["kernel", "params", "backend", "schedule", "W", "per step", "[min, max]"], cells, {4, 5, 6}) + \
        smt_note(rows, boundary)


def warnings_section(meta):
    warnings = meta.get("warnings")
    if not isinstance(warnings, list):
        return '<p class="none">This report predates recorded warnings: parbench did not yet write the console\'s ' \
               'trust warnings into metadata.json, so none are shown here.</p>'
    if not warnings:
        return '<p class="none">No warnings: nothing was found that makes these timings less trustworthy.</p>'
    return '<ul class="warnings">%s</ul>' % "".join("<li>%s</li>" % esc(w) for w in warnings)


def measurement_section(meta):
    measurement = meta.get("measurement") if isinstance(meta.get("measurement"), dict) else None
    timer = meta.get("timer") if isinstance(meta.get("timer"), dict) else None
    suite = meta.get("suite") if isinstance(meta.get("suite"), dict) else {}
    pairs = []
    if measurement is not None:
        names = {"repetitions": "repetitions", "warmup": "warm-up", "order": "order",
                 "min_time_s": "minimum time per repetition (s)", "timeout_s": "time limit (s)"}
        pairs += [(names.get(k, k), value_text(v)) for k, v in measurement.items()]
        note = ""
    else:
        fallback = [("repetitions", "repetitions"), ("minimum time per repetition (s)", "min_time"),
                    ("time limit (s)", "timeout"), ("scaling", "scaling"), ("start-up cost repetitions",
                                                                           "overhead_repetitions")]
        pairs += [(label, value_text(suite[k])) for label, k in fallback if k in suite]
        note = '<p class="none">This report predates the recorded measurement description (warm-up, order); ' \
               'shown are the suite\'s settings.</p>'
    if timer is not None:
        pairs += [("timer", value_text(timer.get("clock", "?"))),
                  ("timer resolution (ns)", value_text(timer.get("resolution_ns", "?")))]
    if "seed" in meta:
        pairs.append(("seed", value_text(meta["seed"])))
    # Both change what a timing means; reports before schema 5 recorded neither.
    if pinning_of(meta):
        pairs.append(("pinning", esc(pinning_of(meta))))
    machine = meta.get("machine") if isinstance(meta.get("machine"), dict) else {}
    if "boost" in machine:
        pairs.append(("CPU boost", value_text(machine["boost"])))
    return note + key_values(pairs)


def topology_section(meta):
    """The machine's shape as a table of its own, "" for a report without one."""
    topo = topology_of(meta)
    if topo is None:
        return ""
    pairs = [("source", value_text(topo["source"]))] if "source" in topo else []
    for label, key in (("packages", "packages"), ("NUMA nodes", "numa_nodes")):
        if count_in(topo, key):
            pairs.append((label, "%d" % topo[key]))
    cores, threads, cpus = count_in(topo, "cores"), count_in(topo, "smt_per_core"), count_in(topo, "cpus")
    if cores:
        pairs.append(("cores x threads", esc("%s x %s%s" % (plural(cores, "core"), plural(threads or 1, "thread"),
                                                           " (%s)" % plural(cpus, "CPU") if cpus else ""))))
    if caches_text(topo):
        pairs.append(("caches", esc(caches_text(topo))))
    allowed = count_in(topo, "allowed_cpu_count")
    if allowed:
        text = "%d%s" % (allowed, " of %d" % cpus if cpus else "")
        if isinstance(topo.get("allowed_cpus"), str):
            text += ": %s" % topo["allowed_cpus"]
        if count_in(topo, "allowed_cores"):
            text += " (on %s)" % plural(topo["allowed_cores"], "physical core")
        pairs.append(("allowed CPUs", esc(text)))
    boundary = count_in(topo, "smt_boundary_workers")
    if boundary:
        text = "W &le; %d: each worker can have a physical core of its own; " % boundary
        text += "W &gt; %d share physical cores (SMT)" % boundary if smt_boundary(meta) else \
            "no SMT threads to use: W &gt; %d oversubscribes" % boundary
        pairs.append(("SMT boundary", text))
    return "<h3>Topology</h3>%s" % key_values(pairs) if pairs else ""


def machine_section(meta):
    out = []
    for key, title in (("machine", "Machine"), ("build", "Build"), ("libraries", "Libraries")):
        value = meta.get(key)
        if isinstance(value, dict) and value:
            shown = [(k, value_text(v)) for k, v in value.items() if not (key == "machine" and k == "topology")]
            out.append("<h3>%s</h3>%s" % (title, key_values(shown)))
            if key == "machine":
                out.append(topology_section(meta))
    run = [(label, "<code>%s</code>" % value_text(meta[k]) if k in ("command_line", "git_commit")
            else value_text(meta[k]))
           for label, k in (("command line", "command_line"), ("git commit", "git_commit"),
                            ("parbench version", "parbench_version"), ("started", "timestamp"),
                            ("schema version", "schema_version")) if k in meta]
    if run:
        out.append("<h3>Run</h3>%s" % key_values(run))
    return "".join(out)


def plot_owner(name, plot_names, kernel_parts):
    """The kernel whose own plot `name` is (its kernel's file part, "_", an overview plot's name), or None."""
    for kernel, part in sorted(kernel_parts.items(), key=lambda kv: -len(kv[1])):
        if name.startswith(part + "_") and name[len(part) + 1:] in plot_names:
            return kernel
    return None


def write(html_path, meta, results, overhead, break_even, out_dir, plot_names, kernel_parts):
    """Writes report.html at html_path (atomically, never through a link planted there).
    plot_names: the plots plot.py wrote into out_dir (no extension); kernel_parts: kernel -> the
    prefix of its own plots' file names. Raises OSError when it cannot be written."""
    kernels = list(kernel_parts)
    several = len(kernels) > 1
    boundary = smt_boundary(meta)
    figures, index = {}, 0
    owned = {}
    for name in plot_names:
        owner = plot_owner(name, plot_names, kernel_parts)
        # With one kernel its own plots are the overview plots again: shown once.
        if owner is not None and not several:
            continue
        index += 1
        fig = figure(out_dir, name, index)
        if fig is not None:
            figures[name] = fig
            owned.setdefault(owner, []).append(name)

    sections, body = [], []
    for kernel in kernels:
        anchor = "kernel-" + re.sub(r"[^A-Za-z0-9_-]", "_", kernel) if several else "summary"
        sections.append((anchor, kernel if several else "summary"))
        rows = summary_rows(results, meta, kernel)
        section = ['<section id="%s"><h2>%s %s</h2>' % (esc(anchor), "Kernel" if several else "Summary: kernel",
                                                       esc(kernel))]
        section.append(summary_table(rows, boundary) if rows
                       else '<p class="none">No aggregate rows for this kernel.</p>')
        kernel_break_even = [r for r in break_even or [] if r.get("kernel") == kernel]
        if kernel_break_even:
            section.append("<h3>Break-even (smallest size at which a backend beats serial)</h3>")
            section.append(break_even_table(kernel_break_even))
        if owned.get(kernel):
            section.append('<h3>Plots</h3><div class="plots">%s</div>' % "".join(figures[n] for n in owned[kernel]))
        section.append("</section>")
        body.append("".join(section))
    if not kernels:
        body.append('<section id="summary"><h2>Summary</h2><p class="none">results.csv has no rows.</p></section>')
        sections.append(("summary", "summary"))

    general = owned.get(None, [])
    if general:
        title = "Plots: all kernels" if several else "Plots"
        body.append('<section id="plots"><h2>%s</h2><div class="plots">%s</div></section>'
                    % (title, "".join(figures[n] for n in general)))
        sections.append(("plots", "plots"))
    if overhead:
        body.append('<section id="startup"><h2>Start-up cost per mechanism</h2>%s</section>'
                    % overhead_table(overhead, meta, boundary))
        sections.append(("startup", "start-up cost"))
    sync = [r for r in results if r.get("row_type") == "aggregate" and r.get("sync_per_step_s")]
    if sync:
        body.append('<section id="sync"><h2>Synchronisation cost per step</h2>%s</section>'
                    % sync_table(sync, boundary))
        sections.append(("sync", "sync cost"))
    body.append('<section id="warnings"><h2>Warnings</h2>%s</section>' % warnings_section(meta))
    body.append('<section id="measurement"><h2>How it was measured</h2>%s</section>' % measurement_section(meta))
    body.append('<section id="machine"><h2>Machine and build</h2>%s</section>' % machine_section(meta))
    sections += [("warnings", "warnings"), ("measurement", "measurement"), ("machine", "machine and build")]
    nav = "<nav>%s</nav>" % "".join('<a href="#%s">%s</a>' % (esc(a), esc(t)) for a, t in sections)

    suite = meta.get("suite") if isinstance(meta.get("suite"), dict) else {}
    machine = meta.get("machine") if isinstance(meta.get("machine"), dict) else {}
    title = "parbench report: %s" % suite.get("name", "suite")
    subtitle = "%s (%s CPUs) on %s, %s" % (machine.get("cpu_model", "unknown CPU"),
                                           machine.get("online_cpus", machine.get("logical_cpus", "?")),
                                           machine.get("hostname", "?"), str(meta.get("timestamp", "?")))
    write_atomically(html_path, page(title, subtitle, "\n".join([nav] + body), len(figures)))


def refuse_unsafe_target(path):
    """os.replace would replace a link or device planted at the path."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        kind = "a symbolic link, which parbench does not write through" if stat.S_ISLNK(st.st_mode) else \
            "not a regular file"
        raise OSError("it is %s; remove it or choose another path" % kind)


def write_atomically(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    refuse_unsafe_target(path)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~UMASK)
        refuse_unsafe_target(path)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
