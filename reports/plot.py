"""Plots of a parbench report (docs/report-format.md), drawn with matplotlib's Agg backend.

Usage: python3 plot.py --schema-versions V[,V...] REPORT_DIR OUT_DIR

--schema-versions lists the schema_version values to accept; parbench passes them from
bench/records.hpp (this script has no version of its own). Schema 1 reports (pi only) are read
with their columns mapped onto schema 2 names.

Writes into OUT_DIR, each as .png and .svg (SVG text kept as text): speedup, efficiency and
throughput with one panel per kernel and scaling mode (weak-scaling rows: scaled speedup and
T(1)/T(W)), overhead (start-up cost), sync, break_even (time against size, serial as the
reference), and per kernel K: K_speedup, K_efficiency, K_throughput and K_break_even
(docs/plots.md). A backend has one colour and marker everywhere (metadata backend_styles, else
a fallback from its name); the workers axis is log2 with the core count and, where metadata has a
topology, the SMT boundary marked; the caption names the topology.
Exit codes follow parbench: 0 ok, 2 the report is unusable (the message names the file, line
and column) or nothing at all could be drawn ("nothing to plot: ..."), 4 the plots could not be
written. Invoked by `parbench plot` and `parbench run
--plot`, which choose an interpreter that can import matplotlib.
"""

import csv
import json
import math
import os
import re
import stat
import sys
import tempfile

import html_report

EXIT_BAD_REPORT = 2
EXIT_IO = 4
UMASK = os.umask(0)
os.umask(UMASK)


class ReportError(Exception):
    """The report cannot be plotted; the message names the place."""


def fail(code, message):
    sys.stderr.write("error: %s\n" % message)
    sys.exit(code)


try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, NullFormatter, NullLocator
except ImportError as e:  # the C++ side checks first; this is for direct use
    fail(EXIT_IO, "cannot import matplotlib (%s): install the Debian package python3-matplotlib" % e)

# Text stays text in SVG (searchable, selectable), and text taken from a report (CPU model,
# backend, params, host, suite) is never read as mathtext: "$x^2$" shows as written.
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["svg.hashsalt"] = "parbench"  # the same report gives the same SVG ids
matplotlib.rcParams["text.usetex"] = False
MATH_TEXT_SWITCH = "text.parse_math" in matplotlib.rcParams  # matplotlib >= 3.5
if MATH_TEXT_SWITCH:
    matplotlib.rcParams["text.parse_math"] = False


def literal(text):
    """Report text to draw as written: with no parse_math switch, an even number of '$' would be read
    as mathtext; escaping them keeps them literal."""
    text = str(text)
    return text if MATH_TEXT_SWITCH else text.replace("$", r"\$")


# The columns each plot reads, per layout: the current schema, and schema 1 (pi only; its rows
# are mapped onto current names by normalise_*). Which schema_version numbers are accepted is
# not known here: parbench passes them (--schema-versions, from bench/records.hpp).
RESULT_COLUMNS = ["schema_version", "kernel", "params", "backend", "schedule", "scaling", "workers", "size", "unit",
                  "row_type", "status", "items_per_s", "speedup", "speedup_min", "speedup_max", "efficiency",
                  "static_bound"]
RESULT_COLUMNS_V1 = ["schema_version", "kernel", "backend", "rng", "scaling", "workers", "samples", "row_type",
                     "status", "samples_per_s", "speedup", "speedup_min", "speedup_max", "efficiency"]
OVERHEAD_COLUMNS = ["schema_version", "mechanism", "workers", "median_us", "min_us", "max_us"]
BREAK_EVEN_COLUMNS = ["schema_version", "kernel", "params", "backend", "schedule", "workers", "break_even_size",
                      "unit"]
BREAK_EVEN_COLUMNS_V1 = ["schema_version", "backend", "rng", "workers", "break_even_samples"]
# Schema 1 did not record schedules; its rows get this one (reports/report_columns.hpp).
SCHEMA_1_SCHEDULE = "default"


def is_v1_results(header):
    return "samples" in header and "size" not in header


def is_v1_break_even(header):
    return "break_even_samples" in header and "break_even_size" not in header


def normalise_results_v1(row):
    """A schema 1 results row under current column names (the pi rows map one to one)."""
    row["size"] = row["samples"]
    row["unit"] = "samples"
    row["params"] = "rng=%s" % row["rng"] if row["rng"] else ""
    row["result"] = row.get("hits", "")
    row["items_per_s"] = row["samples_per_s"]
    row["items_per_s_per_worker"] = row.get("samples_per_s_per_worker", "")
    row["schedule"] = SCHEMA_1_SCHEDULE
    row["static_bound"] = ""
    row["_v1"] = True


def normalise_break_even_v1(row):
    row["kernel"] = "pi"
    row["params"] = "rng=%s" % row["rng"] if row["rng"] else ""
    row["schedule"] = SCHEMA_1_SCHEDULE
    row["break_even_size"] = row["break_even_samples"]
    row["unit"] = "samples"
    row["_v1"] = True


MAX_INPUT_BYTES = 256 << 20  # core/files.hpp's max_input_bytes


def read_input(path, newline=None):
    """The text of a report file: a regular file only (a FIFO would block, a device never end), only
    so large (as parbench's own readers, core/files.hpp), and UTF-8 (parbench writes nothing else).
    newline=None translates \r\n and \r to \n (for JSON); "" keeps them (for the csv module)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReportError("%s: not a regular file (a device, pipe or socket)" % path)
        data = f.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise ReportError("%s: larger than %d MiB; parbench reads no input that large" % (path, MAX_INPUT_BYTES >> 20))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise ReportError("%s:%d:%d: not UTF-8 text (byte 0x%02x); parbench writes its reports in UTF-8"
                          % (path, line, column, data[e.start]))
    if newline is None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_csv(path, versions, required, required_v1=None, is_v1=None, normalise_v1=None, optional_file=False,
             need_rows=False):
    """Rows of a report CSV as dicts (current column names) with their line numbers; None if
    optional and absent. Schema 1 files (is_v1 on the header) are checked against required_v1
    and normalised. need_rows: a header without rows is refused (as compare refuses it)."""
    if not os.path.exists(path):
        if optional_file:
            return None
        raise ReportError("%s: missing file" % path)
    text = read_input(path, newline="")
    if not text.strip():
        raise ReportError("%s:1:1: empty file: expected a header row" % path)
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader)
        v1 = is_v1 is not None and is_v1(header)
        needed = required_v1 if v1 else required
        missing = [c for c in needed if c not in header]
        if missing:
            raise ReportError("%s:1:1: missing column%s %s in the header (see docs/report-format.md)"
                              % (path, "s" if len(missing) > 1 else "", ", ".join("'%s'" % c for c in missing)))
        rows = []
        for cells in reader:
            if not cells:
                continue
            if len(cells) != len(header):
                raise ReportError("%s:%d:1: row has %d fields but the header has %d"
                                  % (path, reader.line_num, len(cells), len(header)))
            row = dict(zip(header, cells))
            row["_line"] = reader.line_num
            row["_header"] = header
            rows.append(row)
    except csv.Error as e:
        raise ReportError("%s:%d:1: malformed CSV (%s)" % (path, reader.line_num, e))
    if need_rows and not rows:
        raise ReportError("%s:2:1: no data rows after the header" % path)
    for row in rows:
        if row["schema_version"] not in versions:
            raise ReportError("%s:%d:1: unknown schema_version '%s': this plotter reads schema %s"
                              % (path, row["_line"], row["schema_version"], ", ".join(versions)))
        if v1:
            normalise_v1(row)
    return rows


def number(path, row, name, allow_empty=True, positive=False):
    """A float cell, None when empty; errors name file:line:column. positive: a timing or rate,
    which must be > 0 (compare's rule, reports/compare_reader.cpp)."""
    text = row[name]
    where = "%s:%d:%d" % (path, row["_line"], column_of(row, name))
    if text == "":
        if allow_empty:
            return None
        raise ReportError("%s: %s is empty" % (where, name))
    try:
        value = float(text)
    except ValueError:
        raise ReportError("%s: %s '%s' is not a number" % (where, name, text))
    if math.isnan(value):
        raise ReportError("%s: %s is NaN: the timing is invalid" % (where, name))
    if not math.isfinite(value):
        raise ReportError("%s: %s '%s' is infinite or out of range" % (where, name, text))
    if positive and value <= 0:
        raise ReportError("%s: %s '%s' is not positive: timings and rates must be > 0" % (where, name, text))
    return value


def column_of(row, name):
    # Approximate column: position of the cell in the unquoted row (exact unless earlier cells were quoted).
    col = 1
    for h in row["_header"]:
        if h == name:
            return col
        col += len(row[h]) + 1
    return 1


def describe(meta):
    machine = meta.get("machine", {}) or {}
    build = meta.get("build", {}) or {}
    date = str(meta.get("timestamp", "?"))[:10]
    title = "%s, %s CPUs, %s build, %s" % (machine.get("cpu_model", "unknown CPU"), machine.get("logical_cpus", "?"),
                                           build.get("type", "?"), date)
    caption = "parbench %s on %s, %s, %s (%s) | %s" % (
        meta.get("parbench_version", "?"), machine.get("hostname", "?"), build.get("compiler", "?"),
        build.get("isa", "?"), meta.get("git_commit", "?"), meta.get("timestamp", "?"))
    shape = html_report.topology_phrase(meta)  # "" before schema 5: the caption stays as it was
    return literal(title), literal(caption + ("\n" + shape if shape else ""))


# Room on the right of every axes for its legend, so that it never hides a point.
LEGEND_RIGHT = 0.7


def new_figure(what, meta, panels=None, note=""):
    """A figure with one axes per panel title (a single unnamed axes when panels is None)."""
    title, caption = describe(meta)
    n = 1 if panels is None else max(1, len(panels))
    fig, axes = plt.subplots(n, 1, figsize=(10, 5.2 if n == 1 else 1.2 + 4.2 * n), squeeze=False)
    axes = [a[0] for a in axes]
    if panels is None or n == 1:
        head = what if not panels else "%s: %s" % (what, literal(panels[0]))
        axes[0].set_title("%s\n%s" % (head, title), fontsize=10)
    else:
        fig.suptitle("%s\n%s" % (what, title), fontsize=10)
        for ax, panel in zip(axes, panels):
            ax.set_title(literal(panel), fontsize=9)
    fig.text(0.01, 0.01, caption + (("\n" + literal(note)) if note else ""), fontsize=7, color="0.35", va="bottom")
    if n == 1:
        fig.subplots_adjust(bottom=0.2, right=LEGEND_RIGHT)
    else:
        fig.subplots_adjust(bottom=0.9 / (1.2 + 4.2 * n), top=1 - 0.75 / (1.2 + 4.2 * n), hspace=0.45,
                            right=LEGEND_RIGHT)
    return fig, axes


def legend_outside(ax, fontsize=8):
    """The legend right of the axes (new_figure leaves room), where it hides no point."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, fontsize=fontsize, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0,
                  frameon=False)


def refuse_unsafe_target(path):
    """os.replace would replace a link or device planted at the path: refused (exit 4)."""
    try:
        html_report.refuse_unsafe_target(path)
    except OSError as e:
        fail(EXIT_IO, "cannot write %s: %s" % (path, e))


def save(fig, out_dir, name):
    for ext in ("png", "svg"):
        final = os.path.join(out_dir, "%s.%s" % (name, ext))
        fd, tmp = tempfile.mkstemp(prefix=".%s." % name, suffix="." + ext, dir=out_dir)
        os.close(fd)
        try:
            # No timestamps in the files: the same report gives the same plots.
            meta = {"Date": None} if ext == "svg" else {"Software": None}
            fig.savefig(tmp, format=ext, dpi=120, metadata=meta)
            os.chmod(tmp, 0o666 & ~UMASK)
            refuse_unsafe_target(final)
            os.replace(tmp, final)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    plt.close(fig)


def empty_plot(ax, message):
    ax.text(0.5, 0.5, literal(message), ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


# --- Styles: one colour and marker per backend, the same in every plot and every report ---------

# The FALLBACK style of a name no report declares a style for; identical to the C++ side
# (FNV-1a 32-bit of the UTF-8 name), so a name gets the same style everywhere.
FALLBACK_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                    "#bcbd22", "#17becf"]
FALLBACK_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
# Schedules and parameters of one backend keep its colour and differ by line style.
LINE_STYLES = ["-", "--", "-.", (0, (1, 1.5)), (0, (6, 2, 1, 2, 1, 2)), (0, (10, 3)), (0, (3, 1, 3, 1, 1, 1))]
REFERENCE_COLOUR = "0.55"  # serial as the reference line of the break-even plot


def fnv1a_32(text):
    h = 2166136261
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def fallback_style(name):
    h = fnv1a_32(name)
    return FALLBACK_COLOURS[h % 10], FALLBACK_MARKERS[(h // 10) % 8]


def backend_style(meta, name):
    """(colour "#rrggbb", matplotlib marker) of a backend or peer: metadata backend_styles, else the
    fallback style of its name (reports written before styles were recorded, unknown names)."""
    styles = meta.get("backend_styles") if isinstance(meta, dict) else None
    style = styles.get(name) if isinstance(styles, dict) else None
    if isinstance(style, dict):
        colour, marker = style.get("colour"), style.get("marker")
        if isinstance(colour, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", colour) and isinstance(marker, str) \
                and marker in Line2D.markers and marker not in ("", " ", "None", "none"):
            return colour.lower(), marker
    return fallback_style(name)


class Styles:
    """Colour and marker by backend; line style by the schedule within its backend and the params
    within the kernel, numbered in sorted order over the whole report so that every plot agrees."""

    def __init__(self, meta, *tables):
        self.meta = meta
        schedules, params = {}, {}
        for rows in tables:
            for r in rows or []:
                if "backend" in r:
                    schedules.setdefault(r["backend"], set()).add(r.get("schedule", ""))
                if "kernel" in r:
                    params.setdefault(r["kernel"], set()).add(r.get("params", ""))
        self.schedules = {b: sorted(v) for b, v in schedules.items()}
        self.params = {k: sorted(v) for k, v in params.items()}

    def line(self, backend, schedule="", params="", kernel=None, variant=None):
        colour, marker = backend_style(self.meta, backend)
        if variant is None:
            own = self.schedules.get(backend, [])
            kernel_params = self.params.get(kernel, [])
            variant = own.index(schedule) if schedule in own else 0
            if params in kernel_params:
                variant += max(1, len(own)) * kernel_params.index(params)
        return {"color": colour, "marker": marker, "linestyle": LINE_STYLES[variant % len(LINE_STYLES)]}


# --- The workers axis: log2, ticks at the measured W, the core count and oversubscription --------

def core_count(meta):
    machine = meta.get("machine") if isinstance(meta, dict) else None
    if not isinstance(machine, dict):
        return None
    for key in ("online_cpus", "logical_cpus"):
        n = machine.get(key)
        if isinstance(n, (int, float)) and not isinstance(n, bool) and n >= 1:
            return int(n)
    return None


# A core count this far beyond the largest W is not drawn (it would squash the measured points);
# the legend says where it is instead.
CORES_SHOWN_WITHIN = 4


SMT_COLOUR = "#8a5a00"  # the SMT boundary: apart from the greys of the core count


def workers_axis(ax, workers, cores, smt=None):
    """Log2 axis with ticks exactly at the measured W; the core count as a labelled vertical line and
    W beyond it shaded as oversubscribed; smt (html_report.smt_boundary) as a dotted line when some W
    is past it."""
    ws = sorted({int(w) for w in workers if w >= 1}) or [1]
    ax.set_xscale("log", base=2)
    lo, hi = ws[0] / 1.5, ws[-1] * 1.5
    if cores is not None and cores <= CORES_SHOWN_WITHIN * ws[-1]:
        hi = max(hi, cores * 1.5)
        ax.axvline(cores, color="0.3", linestyle=(0, (4, 2)), linewidth=1, label="%d cores" % cores, zorder=1)
        ax.text(cores, 0.98, " %d cores" % cores, transform=ax.get_xaxis_transform(), fontsize=7, color="0.3",
                ha="left", va="top")
        if ws[-1] > cores:
            ax.axvspan(cores, hi, color="0.88", linewidth=0, zorder=0, label="oversubscribed (W > %d cores)" % cores)
    elif cores is not None:
        ax.plot([], [], " ", label="machine: %d cores (beyond the axis)" % cores)
    if smt is not None and ws[-1] > smt:
        # Past it workers share a core's execution units: each adds less than a core's worth.
        ax.axvline(smt, color=SMT_COLOUR, linestyle=(0, (2, 2)), linewidth=1, zorder=1,
                   label="W > %d share physical cores (SMT)" % smt)
        ax.text(smt, 0.9, " SMT beyond here", transform=ax.get_xaxis_transform(), fontsize=7, color=SMT_COLOUR,
                ha="left", va="top")
    ax.set_xlim(lo, hi)
    ax.set_xticks(ws)
    ax.set_xticklabels([str(w) for w in ws])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("workers W (log2 scale)")


def ideal_points(top, cores):
    """Where the ideal speedup min(W, cores) bends: it does not grow past the cores."""
    if cores is None or top <= cores:
        return [1, top]
    return [1, cores, top] if cores > 1 else [1, top]


SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def tick_text(value, _pos=None):
    """A log-axis tick as plain text (10 with a Unicode superscript, or %g): matplotlib's own log
    labels are mathtext, which is switched off."""
    if value == 0:
        return "0"
    e = math.log10(abs(value))
    sign = "-" if value < 0 else ""
    if abs(e - round(e)) < 1e-9:
        return sign + ("10" + str(int(round(e))).translate(SUPERSCRIPT) if abs(e) >= 3 else "%g" % abs(value))
    return "%s%g" % (sign, float("%.2g" % abs(value)))


def log_axis(ax, which):
    """Plain-text tick labels on a log (or symlog) axis; the minor ticks are labelled too when the
    axis spans less than two decades (else it might show no label at all)."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    lo, hi = ax.get_ylim() if which == "y" else ax.get_xlim()
    axis.set_major_formatter(FuncFormatter(tick_text))
    few = lo > 0 and hi > 0 and math.log10(max(lo, hi) / min(lo, hi)) < 2
    axis.set_minor_formatter(FuncFormatter(tick_text) if few else NullFormatter())


# --- Report rows ---------------------------------------------------------------------------------

def kernels_of(*tables):
    """Kernel names in the order they first appear in the report."""
    out = []
    for rows in tables:
        for r in rows or []:
            if r["kernel"] not in out:
                out.append(r["kernel"])
    return out


def file_part(kernel):
    """A kernel name as part of a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", kernel) or "_"


def series_label(r, several_params):
    label = r["backend"] if r.get("_v1") else "%s %s" % (r["backend"], r["schedule"])
    return label + (" (%s)" % r["params"] if several_params else "")


def requested_sizes(meta):
    suite = meta.get("suite")
    if not isinstance(suite, dict):
        return set()
    for key in ("sizes", "samples"):  # schema 2 suites name them sizes, schema 1 samples
        if isinstance(suite.get(key), list):
            return {int(n) for n in suite[key] if isinstance(n, (int, float))}
    return set()


def sweep_sizes(meta):
    suite = meta.get("suite")
    sizes = suite.get("break_even_sizes") if isinstance(suite, dict) else None
    return {int(n) for n in sizes if isinstance(n, (int, float))} if isinstance(sizes, list) else set()


def ok_aggregates(results, kernel=None, scaling=None):
    return [r for r in results if r["row_type"] == "aggregate" and r["status"] == "ok"
            and (kernel is None or r["kernel"] == kernel) and (scaling is None or r["scaling"] == scaling)]


def scaling_rows(results, meta, kernel, scaling):
    """Rows for the scaling plots. In a weak-scaling run the strong rows are the break-even sweep's
    (it always runs at a fixed total size): they belong to the break-even plot only."""
    rows = ok_aggregates(results, kernel, scaling)
    suite = meta.get("suite") if isinstance(meta, dict) else None
    if scaling == "strong" and isinstance(suite, dict) and suite.get("scaling") == "weak":
        sweep = sweep_sizes(meta)
        rows = [r for r in rows if r["size"].isdigit() and int(r["size"]) not in sweep]
    return rows


def scalings_of(results, meta, kernel):
    """The scaling modes a kernel has usable rows for, strong first; strong when it has none."""
    present = [s for s in ("strong", "weak") if scaling_rows(results, meta, kernel, s)]
    return present or ["strong"]


def per_worker_size(path, r):
    """Weak scaling: the work per worker (size is W times it)."""
    return int(number(path, r, "size", False)) // max(1, int(number(path, r, "workers", False)))


class Series:
    def __init__(self, label, backend, schedule, params, rows):
        self.label, self.backend, self.schedule, self.params, self.rows = label, backend, schedule, params, rows


def scaling_series(path, results, meta, kernel, scaling="strong"):
    """Aggregate rows of one kernel and scaling mode per line (backend, schedule, params) at the largest
    size each has (weak scaling: size per worker), and the static-split bound per params.

    Sizes the suite asked for (metadata suite.sizes) are preferred over the extra sizes of the
    break-even sweep, which share results.csv.
    """
    weak = scaling == "weak"
    rows = scaling_rows(results, meta, kernel, scaling)

    def n_of(r):
        return per_worker_size(path, r) if weak else int(number(path, r, "size", False))

    requested = requested_sizes(meta)
    if requested and any(n_of(r) in requested for r in rows):
        rows = [r for r in rows if n_of(r) in requested]
    several_params = len({r["params"] for r in rows}) > 1
    largest = {}
    for r in rows:
        key = (r["backend"], r["schedule"], r["params"])
        largest[key] = max(largest.get(key, 0), n_of(r))
    series, bounds = {}, {}
    for r in rows:
        key = (r["backend"], r["schedule"], r["params"])
        if n_of(r) != largest[key]:
            continue
        if key not in series:
            series[key] = Series(series_label(r, several_params), *key, [])
        series[key].rows.append(r)
        bound = number(path, r, "static_bound")
        if bound is not None:
            label = "static split bound" + (" (%s)" % r["params"] if several_params else "")
            bounds.setdefault(label, {})[int(r["workers"])] = bound
    out = sorted(series.values(), key=lambda s: s.label)
    for s in out:
        s.rows.sort(key=lambda r: int(r["workers"]))
    sizes = sorted(set(largest.values()))
    units = sorted({r["unit"] for r in rows})
    unit = units[0] if len(units) == 1 else "items"
    note = ""
    if sizes:
        note = "%s scaling, n = %s %s%s" % (scaling, ", ".join("%.3g" % s for s in sizes), unit,
                                            " per worker" if weak else "")
    return out, bounds, note, unit


def panel_title(kernel, note):
    return "%s (%s)" % (kernel, note) if note else kernel


class Panel:
    def __init__(self, path, results, meta, kernel, scaling):
        self.kernel, self.scaling = kernel, scaling
        self.series, self.bounds, self.note, self.unit = scaling_series(path, results, meta, kernel, scaling)
        self.smt = html_report.smt_boundary(meta)


def scaling_figure(what, path, results, meta, styles, kernels, draw):
    """One figure with a panel per kernel and scaling mode; draw(ax, panel) fills a panel and says
    whether it drew anything. Returns the figure and whether any panel drew."""
    panels = [Panel(path, results, meta, k, s) for k in kernels for s in scalings_of(results, meta, k)]
    if len(panels) == 1:
        fig, axes = new_figure(what, meta, [panels[0].kernel], panels[0].note)
    else:
        fig, axes = new_figure(what, meta, [panel_title(p.kernel, p.note) for p in panels] or None)
    if not panels:
        empty_plot(axes[0], "no aggregate rows with status ok")
    drawn = False
    cores = core_count(meta)
    for ax, p in zip(axes, panels):
        if not p.series:
            empty_plot(ax, "no %s-scaling aggregate rows with status ok" % p.scaling)
        elif draw(ax, p, styles, cores):
            drawn = True
            legend_outside(ax)
        else:
            empty_plot(ax, "no values to draw in the %s-scaling rows" % p.scaling)
    return fig, drawn


def draw_speedup(path):
    def draw(ax, p, styles, cores):
        ws = []
        for s in p.series:
            xs, ys, lo, hi = [], [], [], []
            for r in s.rows:
                v = number(path, r, "speedup")
                if v is None:
                    continue
                smin = number(path, r, "speedup_min")
                smax = number(path, r, "speedup_max")
                xs.append(int(r["workers"]))
                ys.append(v)
                lo.append(max(0.0, v - smin) if smin is not None else 0.0)
                hi.append(max(0.0, smax - v) if smax is not None else 0.0)
            if xs:
                ax.errorbar(xs, ys, yerr=[lo, hi], capsize=3, label=literal(s.label),
                            **styles.line(s.backend, s.schedule, s.params, s.rows[0]["kernel"]))
                ws += xs
        if not ws:
            return False
        for label, by_w in sorted(p.bounds.items()):
            bw = sorted(by_w)
            ax.plot(bw, [by_w[w] for w in bw], ":", color="0.3", marker="x", linewidth=1.5, label=literal(label))
            ws += bw
        ideal = ideal_points(max(ws), cores)
        ax.plot(ideal, [min(w, cores or w) for w in ideal], "k--", linewidth=1,
                label="ideal: min(W, cores)" if cores else "ideal")
        workers_axis(ax, ws, cores, p.smt)
        ax.set_ylabel("scaled speedup: W x T_serial(n) / T(W, W n)" if p.scaling == "weak"
                      else "speedup over serial (T_serial / T(W))")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        return True
    return draw


def weak_efficiencies(path, s):
    """T(1)/T(W) of a weak-scaling series at fixed work per worker, from wall_s; without a W = 1 row
    of its own, the efficiency column (against serial at the same work per worker)."""
    base = [number(path, r, "wall_s") for r in s.rows if int(r["workers"]) == 1]
    base = base[0] if base and base[0] else None
    pts = []
    for r in s.rows:
        wall = number(path, r, "wall_s")
        if base is not None and wall:
            pts.append((int(r["workers"]), base / wall))
        elif base is None and number(path, r, "efficiency") is not None:
            pts.append((int(r["workers"]), number(path, r, "efficiency")))
    return pts, base is not None


def draw_efficiency(path):
    def draw(ax, p, styles, cores):
        ws = []
        weak = p.scaling == "weak"
        for s in p.series:
            if weak:
                pts, own = weak_efficiencies(path, s)
                label = s.label if own else "%s (T_serial(n) / T(W))" % s.label
            else:
                pts = [(int(r["workers"]), number(path, r, "efficiency")) for r in s.rows]
                pts = [(w, e) for w, e in pts if e is not None]
                label = s.label
            if pts:
                ax.plot([w for w, _ in pts], [e for _, e in pts], label=literal(label),
                        **styles.line(s.backend, s.schedule, s.params, s.rows[0]["kernel"]))
                ws += [w for w, _ in pts]
        if not ws:
            return False
        for label, by_w in sorted(p.bounds.items()):
            bw = sorted(by_w)
            ax.plot(bw, [by_w[w] / w for w in bw], ":", color="0.3", marker="x", linewidth=1.5, label=literal(label))
            ws += bw
        ideal = ideal_points(max(ws), cores)
        ax.plot(ideal, [min(1.0, (cores or w) / w) for w in ideal], "k--", linewidth=1,
                label="ideal: min(1, cores / W)" if cores else "ideal")
        workers_axis(ax, ws, cores, p.smt)
        ax.set_ylabel("weak-scaling efficiency T(1) / T(W) (fixed work per worker)" if weak
                      else "efficiency (speedup / W)")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        return True
    return draw


def items_of(path, r):
    """Work items of one run: the items column, or the size where there is none (schema 1)."""
    items = number(path, r, "items") if "items" in r else None
    return items if items is not None else number(path, r, "size", False)


def dodge(n, i, step=0.035):
    """A factor that shifts series i of n sideways on a log2 axis, so error bars do not overlap."""
    return 2 ** ((i - (n - 1) / 2) * step)


def draw_throughput(path):
    def draw(ax, p, styles, cores):
        ws = []
        for i, s in enumerate(p.series):
            xs, ys, lo, hi = [], [], [], []
            for r in s.rows:
                median = number(path, r, "items_per_s")
                if median is None:
                    continue
                items = items_of(path, r)
                slowest, fastest = number(path, r, "wall_s_max"), number(path, r, "wall_s_min")
                xs.append(int(r["workers"]))
                ys.append(median)
                lo.append(max(0.0, median - items / slowest) if slowest else 0.0)
                hi.append(max(0.0, items / fastest - median) if fastest else 0.0)
            if xs:
                style = styles.line(s.backend, s.schedule, s.params, s.rows[0]["kernel"])
                ax.errorbar([x * dodge(len(p.series), i) for x in xs], ys, yerr=[lo, hi], capsize=3, linewidth=0.9,
                            label=literal(s.label), **style)
                ws += xs
        if not ws:
            return False
        workers_axis(ax, ws, cores, p.smt)
        ax.set_ylabel("%s per second (median; bars: slowest..fastest repetition; linear)" % literal(p.unit),
                      fontsize=9)
        ax.set_ylim(bottom=0)
        ax.grid(True, axis="y", alpha=0.3)
        return True
    return draw


SCALING_PLOTS = [
    ("speedup", "Speedup vs workers (median, error bars: spread of repetitions)", draw_speedup),
    ("efficiency", "Parallel efficiency vs workers", draw_efficiency),
    ("throughput", "Throughput vs workers (median items/s, error bars: spread of repetitions)", draw_throughput),
]


def plot_scaling(path, results, meta, styles, out_dir, kernels):
    drawn = False
    for name, what, drawer in SCALING_PLOTS:
        fig, any_drawn = scaling_figure(what, path, results, meta, styles, kernels, drawer(path))
        drawn = drawn or any_drawn
        save(fig, out_dir, name)
        for k in kernels:
            save(scaling_figure(what, path, results, meta, styles, [k], drawer(path))[0], out_dir,
                 "%s_%s" % (file_part(k), name))
    return drawn


# --- Start-up cost --------------------------------------------------------------------------------

DEFAULT_RESOLUTION_US = 0.001  # per start, when the report does not say how fine its timer is


def resolution_per_start_us(path, meta, r):
    """The smallest cost per start the measurement can tell from zero: the timer's resolution over
    the starts timed together (inner_reps)."""
    timer = meta.get("timer") if isinstance(meta, dict) else None
    res_ns = timer.get("resolution_ns") if isinstance(timer, dict) else None
    inner = number(path, r, "inner_reps") if r.get("inner_reps", "") != "" else None
    if isinstance(res_ns, (int, float)) and not isinstance(res_ns, bool) and res_ns > 0 and inner and inner > 0:
        return res_ns / inner / 1000.0
    return DEFAULT_RESOLUTION_US


def plot_overhead(path, overhead, meta, styles, out_dir):
    fig, (ax,) = new_figure("Start-up cost per mechanism and workers (median, error bars: min..max)", meta)
    drawn = False
    if overhead is None:
        empty_plot(ax, "this report has no overhead.csv")
    elif not overhead:
        empty_plot(ax, "overhead.csv has no rows (overhead not measured)")
    else:
        groups = {}
        for r in overhead:
            groups.setdefault((r.get("backend") or r["mechanism"], r["mechanism"]), []).append(r)
        per_backend = {}
        ws, floored = [], []
        for i, ((backend, mech), rows) in enumerate(sorted(groups.items())):
            rows.sort(key=lambda r: int(r["workers"]))
            variant = per_backend.setdefault(backend, [])
            variant.append(mech)
            style = styles.line(backend, variant=len(variant) - 1)
            shift = dodge(len(groups), i, 0.05)
            xs, med, lo, hi, open_xs, open_ys = [], [], [], [], [], []
            for r in rows:
                w = int(r["workers"])
                floor = resolution_per_start_us(path, meta, r)
                m = number(path, r, "median_us", False)
                ws.append(w)
                if m <= floor:
                    open_xs.append(w * shift)
                    open_ys.append(floor)
                    continue
                xs.append(w * shift)
                med.append(m)
                lo.append(max(0.0, m - max(floor, number(path, r, "min_us", False))))
                hi.append(max(0.0, number(path, r, "max_us", False) - m))
            label = literal("%s (%s)" % (mech, backend) if backend != mech else mech)
            ax.errorbar(xs, med, yerr=[lo, hi], capsize=3, linewidth=0.8, label=label, **style)
            if open_xs:
                ax.plot(open_xs, open_ys, linestyle="none", marker=style["marker"], color=style["color"],
                        markerfacecolor="white", markersize=8, label="_nolegend_")  # errorbar carries the label
                for x, y in zip(open_xs, open_ys):
                    ax.annotate("≤ %.2g" % y, (x, y), textcoords="offset points", xytext=(6, -3), fontsize=6,
                                color=style["color"])
                floored += open_ys
        if floored:
            ax.plot([], [], linestyle="none", marker="o", color="0.2", markerfacecolor="white",
                    label="≤ timer resolution (open marker)")
        workers_axis(ax, ws, core_count(meta), html_report.smt_boundary(meta))
        ax.set_yscale("log")
        log_axis(ax, "y")
        ax.set_ylabel("start-up cost per start (microseconds, log scale)")
        ax.grid(True, which="major", alpha=0.3)
        legend_outside(ax, 7)
        drawn = True
    save(fig, out_dir, "overhead")
    return drawn


# --- Synchronisation cost per step ----------------------------------------------------------------

def plot_sync(path, results, meta, styles, out_dir):
    """Synchronisation cost per step of stepped kernels, beside the start-up cost (overhead)."""
    fig, (ax,) = new_figure("Synchronisation cost per step vs workers (median, error bars: range)", meta)
    rows = [r for r in results if r.get("row_type") == "aggregate" and r.get("sync_per_step_s")]
    if not rows:
        empty_plot(ax, "no stepped kernel in this report (no synchronisation cost per step)")
        save(fig, out_dir, "sync")
        return False
    series = {}
    for r in rows:
        series.setdefault((r["backend"], r["kernel"], r["params"], r["schedule"]), []).append(r)
    ws = []
    per_backend = {}
    for (backend, kernel, params, schedule), rs in sorted(series.items()):
        rs.sort(key=lambda r: int(r["workers"]))
        variant = per_backend.setdefault(backend, [])
        variant.append((kernel, params, schedule))
        xs = [int(r["workers"]) for r in rs]
        med = [1e6 * number(path, r, "sync_per_step_s", False) for r in rs]
        lo = [max(0.0, m - 1e6 * (number(path, r, "sync_per_step_s_min") or m / 1e6)) for m, r in zip(med, rs)]
        hi = [max(0.0, 1e6 * (number(path, r, "sync_per_step_s_max") or m / 1e6) - m) for m, r in zip(med, rs)]
        ax.errorbar(xs, med, yerr=[lo, hi], capsize=3, label=literal("%s %s %s %s" % (kernel, params, backend,
                                                                                      schedule)),
                    **styles.line(backend, variant=len(variant) - 1))
        ws += xs
    workers_axis(ax, ws, core_count(meta), html_report.smt_boundary(meta))
    # The median can be slightly negative within the noise: a symmetric log axis shows it.
    ax.set_yscale("symlog", linthresh=1.0)
    log_axis(ax, "y")
    ax.set_ylabel("cost per step (microseconds, symmetric log scale)")
    ax.grid(True, which="major", alpha=0.3)
    legend_outside(ax, 7)
    save(fig, out_dir, "sync")
    return True


# --- Break-even: median time against size, serial as the reference ---------------------------------

def is_reference(r):
    return r.get("kind") == "reference" or (not r.get("kind") and r["backend"] == "serial")


def break_even_panels(path, results, break_even, meta, kernel):
    """(title, rows of the sweep, break-even rows) per params of the kernel; path: results.csv's."""
    rows = ok_aggregates(results, kernel, "strong")
    sweep = sweep_sizes(meta)
    for r in break_even or []:
        if r["kernel"] == kernel:
            sweep |= {int(float(n)) for n in r.get("sizes_tried", "").split(";") if n.strip()}
    if sweep:
        rows = [r for r in rows if int(number(path, r, "size", False)) in sweep]
    params = []
    for r in rows:
        if r["params"] not in params:
            params.append(r["params"])
    be = [r for r in break_even or [] if r["kernel"] == kernel]
    if not params:
        return [(kernel, [], be)]
    return [(kernel if len(params) == 1 else "%s (%s)" % (kernel, p), [r for r in rows if r["params"] == p],
             [r for r in be if r["params"] == p]) for p in params]


def chosen_workers(path, rows, cores):
    """The largest measured W at or below the core count (the smallest W when all exceed it)."""
    ws = sorted({int(number(path, r, "workers", False)) for r in rows if not is_reference(r)})
    if not ws:
        return None
    within = [w for w in ws if cores is None or w <= cores]
    return within[-1] if within else ws[0]


def draw_crossover(paths, ax, rows, be_rows, meta, styles):
    """paths: results.csv's and break_even.csv's, for the messages."""
    path, be_path = paths
    cores = core_count(meta)
    w_star = chosen_workers(path, rows, cores)
    if w_star is None:
        return None
    lines = {}
    for r in rows:
        if is_reference(r):
            key = ("", r["backend"], "", r["params"])
        elif int(r["workers"]) == w_star:
            key = ("~", r["backend"], r["schedule"], r["params"])
        else:
            continue
        lines.setdefault(key, []).append(r)
    crossings = {(r["backend"], r["schedule"]): number(be_path, r, "break_even_size") for r in be_rows
                 if int(number(be_path, r, "workers", False)) == w_star and w_star >= 2}
    several_params = len({r["params"] for r in rows}) > 1
    drawn = False
    for key, rs in sorted(lines.items()):
        rs.sort(key=lambda r: int(r["size"]))
        pts = [(int(r["size"]), number(path, r, "wall_s"), number(path, r, "wall_s_min"), number(path, r, "wall_s_max"))
               for r in rs]
        pts = [p for p in pts if p[1] is not None and p[1] > 0]
        if not pts:
            continue
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        if key[0] == "":
            ax.plot(xs, ys, color=REFERENCE_COLOUR, linewidth=4, solid_capstyle="round", zorder=2,
                    label=literal("%s (reference, W = 1)" % rs[0]["backend"]))
            drawn = True
            continue
        backend, schedule = key[1], key[2]
        style = styles.line(backend, schedule, key[3], rs[0]["kernel"])
        label = series_label(rs[0], several_params)
        if (backend, schedule) in crossings:
            size = crossings[(backend, schedule)]
            if size is None:
                label += ": never beats serial on the sweep"
            else:
                label += ": beats serial from n = %.3g" % size
                ax.axvline(size, color=style["color"], linestyle=":", linewidth=1.2, zorder=1)
                ax.plot([size], [1], transform=ax.get_xaxis_transform(), marker="v", color=style["color"],
                        markersize=9, clip_on=False, linestyle="none")
        ax.plot(xs, ys, linewidth=1.4, zorder=3, label=literal(label), **style)
        lo = [p[2] if p[2] is not None else p[1] for p in pts]
        hi = [p[3] if p[3] is not None else p[1] for p in pts]
        ax.fill_between(xs, lo, hi, color=style["color"], alpha=0.15, linewidth=0, zorder=2)
        drawn = True
    if not drawn:
        return None
    if w_star < 2:
        ax.text(0.02, 0.96, "break-even is defined for W >= 2 only (no crossing marked)", transform=ax.transAxes,
                fontsize=8, va="top", color="0.3")
    ax.set_xscale("log")
    ax.set_yscale("log")
    log_axis(ax, "x")
    log_axis(ax, "y")
    units = sorted({r["unit"] for r in rows})
    ax.set_xlabel("size (%s, log scale)" % literal(units[0] if len(units) == 1 else "items"))
    ax.set_ylabel("median wall time (seconds, log scale)")
    ax.grid(True, which="major", alpha=0.3)
    return w_star


def break_even_figure(paths, results, break_even, meta, styles, kernels):
    what = "Break-even: median time vs size (shaded: spread of repetitions)"
    panels = [p for k in kernels for p in break_even_panels(paths[0], results, break_even, meta, k)]
    cores = core_count(meta)
    fig, axes = new_figure(what, meta, [p[0] for p in panels] or None)
    if break_even is None:
        empty_plot(axes[0], "this report has no break_even.csv")
        return fig, False
    if not panels or not break_even:
        empty_plot(axes[0], "break_even.csv has no rows (break-even sweep not run)")
        return fig, False
    drawn = False
    for ax, (title, rows, be_rows) in zip(axes, panels):
        if len({r["size"] for r in rows}) < 2:
            empty_plot(ax, "fewer than two sizes of the break-even sweep with status ok")
            continue
        w_star = draw_crossover(paths, ax, rows, be_rows, meta, styles)
        if w_star is None:
            empty_plot(ax, "no rows of the break-even sweep with a wall time")
            continue
        where = "W = %d, the largest measured W <= %d cores" % (w_star, cores) if cores else "W = %d" % w_star
        head = ax.get_title() if len(panels) > 1 else ax.get_title().split("\n", 1)
        if len(panels) > 1:
            ax.set_title("%s at %s" % (head, where), fontsize=9)
        else:
            ax.set_title("%s at %s\n%s" % (head[0], where, head[1] if len(head) > 1 else ""), fontsize=10)
        legend_outside(ax, 7)
        drawn = True
    return fig, drawn


def plot_break_even(paths, results, break_even, meta, styles, out_dir, kernels):
    fig, drawn = break_even_figure(paths, results, break_even, meta, styles, kernels)
    save(fig, out_dir, "break_even")
    for k in kernels:
        save(break_even_figure(paths, results, break_even, meta, styles, [k])[0], out_dir,
             "%s_break_even" % file_part(k))
    return drawn


def draw_all(report, paths, results, overhead, break_even, meta, out_dir, kernels):
    """Every plot; a plot with nothing to draw says so in its image. Raises ReportError when nothing at
    all could be drawn (exit 2)."""
    results_path, overhead_path, break_even_path = paths
    styles = Styles(meta, results, break_even)
    drawn = [plot_scaling(results_path, results, meta, styles, out_dir, kernels),
             plot_overhead(overhead_path, overhead, meta, styles, out_dir),
             plot_sync(results_path, results, meta, styles, out_dir),
             plot_break_even((results_path, break_even_path), results, break_even, meta, styles, out_dir, kernels)]
    if not any(drawn):
        raise ReportError("nothing to plot: %s has no aggregate rows with status ok, no start-up costs and no "
                          "break-even sweep; the images say so per plot" % report)


def parse_args(argv):
    usage = "usage: plot.py --schema-versions V[,V...] REPORT_DIR OUT_DIR [--html PATH]"
    html = argv[6] if len(argv) == 7 and argv[5] == "--html" else None
    argv = argv[:5] if html else argv
    if len(argv) != 5 or argv[1] != "--schema-versions":
        fail(EXIT_BAD_REPORT, usage)
    versions = [v for v in argv[2].split(",") if v]
    if not versions or not all(v.isdigit() for v in versions):
        fail(EXIT_BAD_REPORT, usage)
    return versions, argv[3], argv[4], html


def main(argv):
    versions, report, out_dir, html = parse_args(argv)
    try:
        if not os.path.isdir(report):
            raise ReportError("%s: not a report directory" % report)
        meta_path = os.path.join(report, "metadata.json")
        if not os.path.exists(meta_path):
            raise ReportError("%s: missing file" % meta_path)
        meta_text = read_input(meta_path)
        try:
            meta = json.loads(meta_text)
        except json.JSONDecodeError as e:
            raise ReportError("%s:%d:%d: not valid JSON (%s)" % (meta_path, e.lineno, e.colno, e.msg))
        except RecursionError:
            raise ReportError("%s: JSON nested too deeply; parbench's files nest a few levels" % meta_path)
        if not isinstance(meta, dict):
            raise ReportError("%s:1:1: expected a JSON object" % meta_path)
        # The same checks as compare's (reports/compare_reader.cpp): one validation, one message.
        if "schema_version" not in meta:
            raise ReportError("%s:1:1: missing schema_version: not a parbench report's metadata" % meta_path)
        meta_version = meta["schema_version"]
        if isinstance(meta_version, bool) or not isinstance(meta_version, int) or str(meta_version) not in versions:
            at = meta_text.find('"schema_version"')
            line = meta_text.count("\n", 0, max(at, 0)) + 1
            column = max(at, 0) - (meta_text.rfind("\n", 0, max(at, 0)) + 1) + 1
            raise ReportError("%s:%d:%d: unknown schema_version %s: this plotter reads schema %s"
                              % (meta_path, line, column, json.dumps(meta_version), ", ".join(versions)))
        results_path = os.path.join(report, "results.csv")
        results = read_csv(results_path, versions, RESULT_COLUMNS, RESULT_COLUMNS_V1, is_v1_results,
                           normalise_results_v1, need_rows=True)
        for r in results:
            if r["row_type"] == "raw" and r["status"] == "ok":
                for name in ("wall_s", "items_per_s"):
                    if name in r:
                        number(results_path, r, name, allow_empty=False, positive=True)
        overhead_path = os.path.join(report, "overhead.csv")
        overhead = read_csv(overhead_path, versions, OVERHEAD_COLUMNS, optional_file=True)
        break_even_path = os.path.join(report, "break_even.csv")
        break_even = read_csv(break_even_path, versions, BREAK_EVEN_COLUMNS, BREAK_EVEN_COLUMNS_V1, is_v1_break_even,
                              normalise_break_even_v1, optional_file=True)
        try:
            os.makedirs(out_dir, exist_ok=True)
        except OSError as e:
            fail(EXIT_IO, "cannot create %s: %s" % (out_dir, e.strerror))
        kernels = kernels_of(results, break_even)
        draw_all(report, (results_path, overhead_path, break_even_path), results, overhead, break_even, meta, out_dir,
                 kernels)
    except ReportError as e:
        fail(EXIT_BAD_REPORT, str(e))
    except OSError as e:
        fail(EXIT_IO, "cannot write plots to %s: %s" % (out_dir, e))
    if html:
        try:
            html_report.write(html, meta, results, overhead, break_even, out_dir, plot_names(kernels),
                              {k: file_part(k) for k in kernels})
        except OSError as e:
            fail(EXIT_IO, "cannot write %s: %s" % (html, e.strerror or e))
    if any(r.get("_v1") for r in results):
        # On stderr: parbench passes the plotter's stderr on when it succeeds.
        sys.stderr.write("note: %s is a schema 1 report (read as kernel pi, schedule '%s')\n"
                         % (results_path, SCHEMA_1_SCHEDULE))
    print("plots written to %s (%s)" % (out_dir, ", ".join(plot_names(kernels))))


def plot_names(kernels):
    """The plots written, without extension."""
    names = [n for n, _, _ in SCALING_PLOTS] + ["overhead", "sync", "break_even"]
    return names + ["%s_%s" % (file_part(k), n) for k in kernels for n in [n for n, _, _ in SCALING_PLOTS] +
                    ["break_even"]]


if __name__ == "__main__":
    main(sys.argv)
