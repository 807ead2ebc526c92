"""Plots of a parbench report (docs/report-format.md), drawn with matplotlib's Agg backend.

Usage: python3 plot.py REPORT_DIR OUT_DIR

Writes speedup, efficiency, throughput, overhead and break_even as .png and .svg into OUT_DIR.
Exit codes follow parbench: 0 ok, 2 the report is unusable (the message names the file, line
and column), 4 the plots could not be written. Invoked by `parbench plot` and `parbench run
--plot`, which choose an interpreter that can import matplotlib.
"""

import csv
import json
import math
import os
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


RESULT_COLUMNS = ["schema_version", "backend", "rng", "scaling", "workers", "samples", "row_type", "status",
                  "samples_per_s", "speedup", "speedup_min", "speedup_max", "efficiency"]
OVERHEAD_COLUMNS = ["schema_version", "mechanism", "workers", "median_us", "min_us", "max_us"]
BREAK_EVEN_COLUMNS = ["schema_version", "backend", "rng", "workers", "break_even_samples"]


def read_csv(path, required, optional_file=False):
    """Rows of a report CSV as dicts with their line numbers; None if optional and absent."""
    if not os.path.exists(path):
        if optional_file:
            return None
        raise ReportError("%s: missing file" % path)
    with open(path, newline="", encoding="utf-8") as f:
        text = f.read()
    if not text.strip():
        raise ReportError("%s:1:1: empty file: expected a header row" % path)
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader)
        missing = [c for c in required if c not in header]
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
    for row in rows:
        if row["schema_version"] != "1":
            raise ReportError("%s:%d:1: unknown schema_version '%s': this plotter reads schema 1"
                              % (path, row["_line"], row["schema_version"]))
    return rows


def number(path, row, name, allow_empty=True):
    """A float cell, None when empty; errors name file:line:column."""
    text = row[name]
    if text == "":
        if allow_empty:
            return None
        raise ReportError("%s:%d:%d: %s is empty" % (path, row["_line"], column_of(row, name), name))
    try:
        value = float(text)
    except ValueError:
        raise ReportError("%s:%d:%d: %s '%s' is not a number" % (path, row["_line"], column_of(row, name), name, text))
    if not math.isfinite(value):
        raise ReportError("%s:%d:%d: %s '%s' is not finite" % (path, row["_line"], column_of(row, name), name, text))
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


def new_figure(what, meta, note=""):
    title, caption = describe(meta)
    fig, ax = plt.subplots(figsize=(8, 5.2))
    ax.set_title("%s\n%s" % (what, title), fontsize=10)
    fig.text(0.01, 0.01, caption + (("\n" + note) if note else ""), fontsize=7, color="0.35", va="bottom")
    fig.subplots_adjust(bottom=0.2)
    return fig, ax


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


def scaling_series(path, results, meta):
    """Strong-scaling aggregate rows per line (backend, rng) at the largest sample count each has.

    Sizes the suite asked for (metadata suite.samples) are preferred over the extra sizes of the
    break-even sweep, which share results.csv.
    """
    rows = [r for r in results if r["row_type"] == "aggregate" and r["status"] == "ok" and r["scaling"] == "strong"]
    requested = set()
    suite = meta.get("suite")
    if isinstance(suite, dict) and isinstance(suite.get("samples"), list):
        requested = {int(n) for n in suite["samples"] if isinstance(n, (int, float))}
    if requested and any(int(number(path, r, "samples", False)) in requested for r in rows):
        rows = [r for r in rows if int(r["samples"]) in requested]
    rngs = sorted({r["rng"] for r in rows})
    largest = {}
    for r in rows:
        key = (r["backend"], r["rng"])
        largest[key] = max(largest.get(key, 0), int(number(path, r, "samples", False)))
    series = {}
    for r in rows:
        key = (r["backend"], r["rng"])
        if int(r["samples"]) != largest[key]:
            continue
        label = r["backend"] if len(rngs) <= 1 else "%s (%s)" % (r["backend"], r["rng"])
        series.setdefault(label, []).append(r)
    for label in series:
        series[label].sort(key=lambda r: int(r["workers"]))
    sizes = sorted(set(largest.values()))
    note = "strong scaling, n = %s samples" % ", ".join("%.3g" % s for s in sizes) if sizes else ""
    return series, note


def plot_speedup(path, results, meta, out_dir):
    series, note = scaling_series(path, results, meta)
    fig, ax = new_figure("Speedup vs workers (median, error bars: spread of repetitions)", meta, note)
    if not series:
        empty_plot(ax, "no strong-scaling aggregate rows with status ok")
    else:
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
        ax.plot([1, top], [1, top], "k--", linewidth=1, label="ideal")
        ax.set_xlabel("workers (W)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("speedup over serial")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    save(fig, out_dir, "speedup")


def plot_efficiency(path, results, meta, out_dir):
    series, note = scaling_series(path, results, meta)
    fig, ax = new_figure("Parallel efficiency (speedup / W) vs workers", meta, note)
    if not series:
        empty_plot(ax, "no strong-scaling aggregate rows with status ok")
    else:
        for label, rows in sorted(series.items()):
            pts = [(int(r["workers"]), number(path, r, "efficiency")) for r in rows]
            pts = [(w, e) for w, e in pts if e is not None]
            if pts:
                ax.plot([w for w, _ in pts], [e for _, e in pts], marker="o", label=label)
        ax.axhline(1.0, color="k", linestyle="--", linewidth=1, label="ideal")
        ax.set_xlabel("workers (W)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("efficiency")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    save(fig, out_dir, "efficiency")


def plot_throughput(path, results, meta, out_dir):
    series, note = scaling_series(path, results, meta)
    fig, ax = new_figure("Throughput per backend and worker count (median samples/s)", meta, note)
    if not series:
        empty_plot(ax, "no strong-scaling aggregate rows with status ok")
    else:
        workers = sorted({int(r["workers"]) for rows in series.values() for r in rows})
        labels = sorted(series)
        width = 0.8 / len(labels)
        for i, label in enumerate(labels):
            by_w = {int(r["workers"]): number(path, r, "samples_per_s") for r in series[label]}
            xs = [j + i * width - 0.4 + width / 2 for j, w in enumerate(workers) if by_w.get(w) is not None]
            ys = [by_w[w] for w in workers if by_w.get(w) is not None]
            ax.bar(xs, ys, width=width, label=label)
        ax.set_xticks(range(len(workers)))
        ax.set_xticklabels([str(w) for w in workers])
        ax.set_xlabel("workers (W)")
        ax.set_ylabel("samples per second (log scale)")
        # Log scale: peers (Python) and the GPU sit orders of magnitude from the CPU backends.
        ax.set_yscale("log")
        ax.grid(True, axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=8)
    save(fig, out_dir, "throughput")


def plot_overhead(path, overhead, meta, out_dir):
    fig, ax = new_figure("Start-up overhead vs workers (median, error bars: min..max)", meta)
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


def plot_break_even(path, break_even, meta, out_dir):
    fig, ax = new_figure("Break-even size: smallest sample count at which each backend beats serial", meta)
    if break_even is None:
        empty_plot(ax, "this report has no break_even.csv")
    elif not break_even:
        empty_plot(ax, "break_even.csv has no rows (break-even sweep not run)")
    else:
        rows = sorted(break_even, key=lambda r: (r["backend"], r["rng"], int(r["workers"])))
        multi_rng = len({r["rng"] for r in rows}) > 1
        labels, values, never = [], [], []
        for r in rows:
            label = "%s W=%s" % (r["backend"], r["workers"]) + (" (%s)" % r["rng"] if multi_rng else "")
            labels.append(label)
            v = number(path, r, "break_even_samples")
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
        ax.set_xlabel("samples (log scale)")
        ax.grid(True, axis="x", which="both", alpha=0.3)
    save(fig, out_dir, "break_even")


def main(argv):
    if len(argv) != 3:
        fail(EXIT_BAD_REPORT, "usage: plot.py REPORT_DIR OUT_DIR")
    report, out_dir = argv[1], argv[2]
    try:
        if not os.path.isdir(report):
            raise ReportError("%s: not a report directory" % report)
        meta_path = os.path.join(report, "metadata.json")
        if not os.path.exists(meta_path):
            raise ReportError("%s: missing file" % meta_path)
        try:
            with open(meta_path, encoding="utf-8") as f:
                meta = json.load(f)
        except json.JSONDecodeError as e:
            raise ReportError("%s:%d:%d: not valid JSON (%s)" % (meta_path, e.lineno, e.colno, e.msg))
        if not isinstance(meta, dict):
            raise ReportError("%s:1:1: expected a JSON object" % meta_path)
        results_path = os.path.join(report, "results.csv")
        results = read_csv(results_path, RESULT_COLUMNS)
        overhead_path = os.path.join(report, "overhead.csv")
        overhead = read_csv(overhead_path, OVERHEAD_COLUMNS, optional_file=True)
        break_even_path = os.path.join(report, "break_even.csv")
        break_even = read_csv(break_even_path, BREAK_EVEN_COLUMNS, optional_file=True)
        try:
            os.makedirs(out_dir, exist_ok=True)
        except OSError as e:
            fail(EXIT_IO, "cannot create %s: %s" % (out_dir, e.strerror))
        plot_speedup(results_path, results, meta, out_dir)
        plot_efficiency(results_path, results, meta, out_dir)
        plot_throughput(results_path, results, meta, out_dir)
        plot_overhead(overhead_path, overhead, meta, out_dir)
        plot_break_even(break_even_path, break_even, meta, out_dir)
    except ReportError as e:
        fail(EXIT_BAD_REPORT, str(e))
    except OSError as e:
        fail(EXIT_IO, "cannot write plots to %s: %s" % (out_dir, e))
    print("plots written to %s" % out_dir)


if __name__ == "__main__":
    main(sys.argv)
