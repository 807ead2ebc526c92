"""Plots of a parbench report (docs/report-format.md), drawn with matplotlib's Agg backend.

Usage: python3 plot.py --schema-versions V[,V...] REPORT_DIR OUT_DIR

--schema-versions lists the schema_version values to accept; parbench passes them from
bench/records.hpp (this script has no version of its own). Schema 1 reports (pi only) are read
with their columns mapped onto schema 2 names.

Writes into OUT_DIR, each as .png and .svg: speedup, efficiency, throughput and break_even with
one panel per kernel, overhead, and per kernel K: K_speedup, K_efficiency, K_throughput and
K_break_even.
Exit codes follow parbench: 0 ok, 2 the report is unusable (the message names the file, line
and column), 4 the plots could not be written. Invoked by `parbench plot` and `parbench run
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
    from matplotlib.ticker import MaxNLocator
except ImportError as e:  # the C++ side checks first; this is for direct use
    fail(EXIT_IO, "cannot import matplotlib (%s): install the Debian package python3-matplotlib" % e)


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
    return title, caption


def new_figure(what, meta, panels=None, note=""):
    """A figure with one axes per panel title (a single unnamed axes when panels is None)."""
    title, caption = describe(meta)
    n = 1 if panels is None else max(1, len(panels))
    fig, axes = plt.subplots(n, 1, figsize=(8, 5.2 if n == 1 else 1.2 + 4.2 * n), squeeze=False)
    axes = [a[0] for a in axes]
    if panels is None or n == 1:
        head = what if not panels else "%s: %s" % (what, panels[0])
        axes[0].set_title("%s\n%s" % (head, title), fontsize=10)
    else:
        fig.suptitle("%s\n%s" % (what, title), fontsize=10)
        for ax, panel in zip(axes, panels):
            ax.set_title(panel, fontsize=9)
    fig.text(0.01, 0.01, caption + (("\n" + note) if note else ""), fontsize=7, color="0.35", va="bottom")
    if n == 1:
        fig.subplots_adjust(bottom=0.2)
    else:
        fig.subplots_adjust(bottom=0.9 / (1.2 + 4.2 * n), top=1 - 0.75 / (1.2 + 4.2 * n), hspace=0.45)
    return fig, axes


def refuse_unsafe_target(path):
    """os.replace would replace a link or device planted at the path: refused (exit 4)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        kind = "a symbolic link, which parbench does not write through" if stat.S_ISLNK(st.st_mode) else \
            "not a regular file"
        fail(EXIT_IO, "cannot write %s: it is %s; remove it or choose another folder" % (path, kind))


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
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


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


def scaling_series(path, results, meta, kernel):
    """Strong-scaling aggregate rows of one kernel per line (backend, schedule, params) at the
    largest size each has, and the static-split bound per params.

    Sizes the suite asked for (metadata suite.sizes) are preferred over the extra sizes of the
    break-even sweep, which share results.csv.
    """
    rows = [r for r in results if r["kernel"] == kernel and r["row_type"] == "aggregate" and r["status"] == "ok"
            and r["scaling"] == "strong"]
    requested = requested_sizes(meta)
    if requested and any(int(number(path, r, "size", False)) in requested for r in rows):
        rows = [r for r in rows if int(r["size"]) in requested]
    several_params = len({r["params"] for r in rows}) > 1
    largest = {}
    for r in rows:
        key = (r["backend"], r["schedule"], r["params"])
        largest[key] = max(largest.get(key, 0), int(number(path, r, "size", False)))
    series, bounds = {}, {}
    for r in rows:
        key = (r["backend"], r["schedule"], r["params"])
        if int(r["size"]) != largest[key]:
            continue
        series.setdefault(series_label(r, several_params), []).append(r)
        bound = number(path, r, "static_bound")
        if bound is not None:
            label = "static split bound" + (" (%s)" % r["params"] if several_params else "")
            bounds.setdefault(label, {})[int(r["workers"])] = bound
    for label in series:
        series[label].sort(key=lambda r: int(r["workers"]))
    sizes = sorted(set(largest.values()))
    units = sorted({r["unit"] for r in rows})
    unit = units[0] if len(units) == 1 else "items"
    note = "strong scaling, n = %s %s" % (", ".join("%.3g" % s for s in sizes), unit) if sizes else ""
    return series, bounds, note, unit


def panel_title(kernel, note):
    return "%s (%s)" % (kernel, note) if note else kernel


def scaling_figure(what, path, results, meta, kernels, draw):
    """One figure with a panel per kernel; draw(ax, series, bounds, unit) fills a panel."""
    panels = [(k,) + scaling_series(path, results, meta, k) for k in kernels]
    if len(panels) == 1:
        fig, axes = new_figure(what, meta, [panels[0][0]], panels[0][3])
    else:
        fig, axes = new_figure(what, meta, [panel_title(k, note) for k, _, _, note, _ in panels] or None)
    if not panels:
        empty_plot(axes[0], "no strong-scaling aggregate rows with status ok")
    for ax, (kernel, series, bounds, note, unit) in zip(axes, panels):
        if not series:
            empty_plot(ax, "no strong-scaling aggregate rows with status ok")
        else:
            draw(ax, series, bounds, unit)
    return fig


def draw_speedup(path):
    def draw(ax, series, bounds, unit):
        top = 1
        for label, rows in sorted(series.items()):
            xs, ys, lo, hi = [], [], [], []
            for r in rows:
                s = number(path, r, "speedup")
                if s is None:
                    continue
                smin = number(path, r, "speedup_min")
                smax = number(path, r, "speedup_max")
                xs.append(int(r["workers"]))
                ys.append(s)
                lo.append(max(0.0, s - smin) if smin is not None else 0.0)
                hi.append(max(0.0, smax - s) if smax is not None else 0.0)
            if xs:
                ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3, label=label)
                top = max(top, max(xs))
        for label, by_w in sorted(bounds.items()):
            ws = sorted(by_w)
            ax.plot(ws, [by_w[w] for w in ws], ":", color="0.3", marker="x", linewidth=1.5, label=label)
            top = max(top, max(ws))
        ax.plot([1, top], [1, top], "k--", linewidth=1, label="ideal")
        ax.set_xlabel("workers (W)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("speedup over serial")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    return draw


def draw_efficiency(path):
    def draw(ax, series, bounds, unit):
        for label, rows in sorted(series.items()):
            pts = [(int(r["workers"]), number(path, r, "efficiency")) for r in rows]
            pts = [(w, e) for w, e in pts if e is not None]
            if pts:
                ax.plot([w for w, _ in pts], [e for _, e in pts], marker="o", label=label)
        for label, by_w in sorted(bounds.items()):
            ws = sorted(by_w)
            ax.plot(ws, [by_w[w] / w for w in ws], ":", color="0.3", marker="x", linewidth=1.5, label=label)
        ax.axhline(1.0, color="k", linestyle="--", linewidth=1, label="ideal")
        ax.set_xlabel("workers (W)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("efficiency")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    return draw


def draw_throughput(path):
    def draw(ax, series, bounds, unit):
        workers = sorted({int(r["workers"]) for rows in series.values() for r in rows})
        labels = sorted(series)
        width = 0.8 / len(labels)
        for i, label in enumerate(labels):
            by_w = {int(r["workers"]): number(path, r, "items_per_s") for r in series[label]}
            xs = [j + i * width - 0.4 + width / 2 for j, w in enumerate(workers) if by_w.get(w) is not None]
            ys = [by_w[w] for w in workers if by_w.get(w) is not None]
            ax.bar(xs, ys, width=width, label=label)
        ax.set_xticks(range(len(workers)))
        ax.set_xticklabels([str(w) for w in workers])
        ax.set_xlabel("workers (W)")
        ax.set_ylabel("%s per second (log scale)" % unit)
        # Log scale: peers (Python) and the GPU sit orders of magnitude from the CPU backends.
        ax.set_yscale("log")
        ax.grid(True, axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=8)
    return draw


SCALING_PLOTS = [
    ("speedup", "Speedup vs workers (median, error bars: spread of repetitions)", draw_speedup),
    ("efficiency", "Parallel efficiency (speedup / W) vs workers", draw_efficiency),
    ("throughput", "Throughput per backend, schedule and worker count (median items/s)", draw_throughput),
]


def plot_scaling(path, results, meta, out_dir, kernels):
    for name, what, drawer in SCALING_PLOTS:
        save(scaling_figure(what, path, results, meta, kernels, drawer(path)), out_dir, name)
        for k in kernels:
            save(scaling_figure(what, path, results, meta, [k], drawer(path)), out_dir,
                 "%s_%s" % (file_part(k), name))


def plot_overhead(path, overhead, meta, out_dir):
    fig, (ax,) = new_figure("Start-up overhead vs workers (median, error bars: min..max)", meta)
    if overhead is None:
        empty_plot(ax, "this report has no overhead.csv")
    elif not overhead:
        empty_plot(ax, "overhead.csv has no rows (overhead not measured)")
    else:
        by_mech = {}
        for r in overhead:
            by_mech.setdefault(r["mechanism"], []).append(r)
        for mech, rows in sorted(by_mech.items()):
            rows.sort(key=lambda r: int(r["workers"]))
            xs = [int(r["workers"]) for r in rows]
            med = [number(path, r, "median_us", False) for r in rows]
            lo = [max(0.0, m - number(path, r, "min_us", False)) for m, r in zip(med, rows)]
            hi = [max(0.0, number(path, r, "max_us", False) - m) for m, r in zip(med, rows)]
            ax.errorbar(xs, med, yerr=[lo, hi], marker="o", capsize=3, label=mech)
        ax.set_yscale("log")
        ax.set_xlabel("workers (W)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("start-up cost (microseconds, log scale)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    save(fig, out_dir, "overhead")


def plot_sync(path, results, meta, out_dir):
    """Synchronisation cost per step of stepped kernels, beside the start-up cost (overhead)."""
    fig, (ax,) = new_figure("Synchronisation cost per step vs workers (median, error bars: range)", meta)
    rows = [r for r in results if r.get("row_type") == "aggregate" and r.get("sync_per_step_s")]
    if not rows:
        empty_plot(ax, "no stepped kernel in this report (no synchronisation cost per step)")
    else:
        series = {}
        for r in rows:
            series.setdefault("%s %s %s %s" % (r["kernel"], r["params"], r["backend"], r["schedule"]), []).append(r)
        for label, rs in sorted(series.items()):
            rs.sort(key=lambda r: int(r["workers"]))
            xs = [int(r["workers"]) for r in rs]
            med = [1e6 * number(path, r, "sync_per_step_s", False) for r in rs]
            lo = [max(0.0, m - 1e6 * (number(path, r, "sync_per_step_s_min") or m / 1e6)) for m, r in zip(med, rs)]
            hi = [max(0.0, 1e6 * (number(path, r, "sync_per_step_s_max") or m / 1e6) - m) for m, r in zip(med, rs)]
            ax.errorbar(xs, med, yerr=[lo, hi], marker="o", capsize=3, label=label)
        # The median can be slightly negative within the noise: a symmetric log axis shows it.
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_xlabel("workers (W)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("cost per step (microseconds, symmetric log scale)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    save(fig, out_dir, "sync")


def draw_break_even(path, ax, rows):
    rows = sorted(rows, key=lambda r: (r["backend"], r["schedule"], r["params"], int(r["workers"])))
    several_params = len({r["params"] for r in rows}) > 1
    labels, values, never = [], [], []
    for r in rows:
        labels.append("%s W=%s" % (series_label(r, several_params), r["workers"]))
        v = number(path, r, "break_even_size")
        values.append(v)
        never.append(v is None)
    known = [v for v in values if v is not None]
    right = max(known) * 4 if known else 1e9
    ys = list(range(len(labels)))
    ax.barh([y for y, v in zip(ys, values) if v is not None], [v for v in values if v is not None], height=0.6,
            color="C0")
    for y, is_never in zip(ys, never):
        if is_never:
            ax.text(1.2, y, "never beat serial on the sweep", va="center", fontsize=8, color="C3",
                    bbox={"facecolor": "white", "edgecolor": "none"})
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xscale("log")
    ax.set_xlim(left=1, right=right)
    units = sorted({r["unit"] for r in rows})
    ax.set_xlabel("size (%s, log scale)" % (units[0] if len(units) == 1 else "items"))
    ax.grid(True, axis="x", which="both", alpha=0.3)


def break_even_figure(path, break_even, meta, kernels):
    what = "Break-even size: smallest size at which each backend and schedule beats serial"
    fig, axes = new_figure(what, meta, kernels or None)
    fig.subplots_adjust(left=0.3)  # room for "backend schedule W=n" labels
    if break_even is None:
        empty_plot(axes[0], "this report has no break_even.csv")
        return fig
    if not kernels:
        empty_plot(axes[0], "break_even.csv has no rows (break-even sweep not run)")
    for ax, kernel in zip(axes, kernels):
        rows = [r for r in break_even if r["kernel"] == kernel]
        if rows:
            draw_break_even(path, ax, rows)
        else:
            empty_plot(ax, "no break-even rows for this kernel (break-even sweep not run)")
    return fig


def plot_break_even(path, break_even, meta, out_dir, kernels):
    save(break_even_figure(path, break_even, meta, kernels), out_dir, "break_even")
    for k in kernels:
        save(break_even_figure(path, break_even, meta, [k]), out_dir, "%s_break_even" % file_part(k))


def parse_args(argv):
    usage = "usage: plot.py --schema-versions V[,V...] REPORT_DIR OUT_DIR"
    if len(argv) != 5 or argv[1] != "--schema-versions":
        fail(EXIT_BAD_REPORT, usage)
    versions = [v for v in argv[2].split(",") if v]
    if not versions or not all(v.isdigit() for v in versions):
        fail(EXIT_BAD_REPORT, usage)
    return versions, argv[3], argv[4]


def main(argv):
    versions, report, out_dir = parse_args(argv)
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
        plot_scaling(results_path, results, meta, out_dir, kernels)
        plot_overhead(overhead_path, overhead, meta, out_dir)
        plot_sync(results_path, results, meta, out_dir)
        plot_break_even(break_even_path, break_even, meta, out_dir, kernels)
    except ReportError as e:
        fail(EXIT_BAD_REPORT, str(e))
    except OSError as e:
        fail(EXIT_IO, "cannot write plots to %s: %s" % (out_dir, e))
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
