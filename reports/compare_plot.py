"""The regression gate's result drawn: per configuration the change of the median throughput
with its confidence interval, against the shaded threshold band, coloured by verdict.

Usage: python3 compare_plot.py DATA_JSON [--plot DIR] [--html PATH]

DATA_JSON is written by `parbench compare` (reports/compare_plot.cpp): rows (label, change,
ci_low, ci_high, verdict, unit), threshold, alpha, baseline, current and the markdown text.
--plot writes DIR/compare.png and DIR/compare.svg (needs matplotlib: exit 4 without it).
--html writes the markdown as one self-contained page with the plot inline as SVG; without
matplotlib the page says the plot could not be drawn and why (docs/report-html.md).
Exit codes follow parbench: 0 ok, 2 bad arguments or data, 4 a file could not be written.
"""

import io
import json
import os
import re
import sys
import tempfile

import html_report
from html_report import esc

EXIT_USAGE = 2
EXIT_IO = 4

# Verdict colours: what needs attention stands out, "same" recedes.
VERDICT_COLOURS = {"regressed": "#d62728", "improved": "#2ca02c", "same": "#7f7f7f", "inconclusive": "#ff7f0e",
                   "failed": "#000000"}


def fail(code, message):
    sys.stderr.write("error: %s\n" % message)
    sys.exit(code)


def load_matplotlib():
    """pyplot, or the reason it cannot be imported."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        return None, "matplotlib cannot be imported (%s); install the Debian package python3-matplotlib" % e
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text in the SVG
    matplotlib.rcParams["svg.hashsalt"] = "parbench"  # the same comparison gives the same file
    return plt, None


def draw(plt, data):
    rows = data["rows"]
    threshold = 100 * data["threshold"]
    n = max(1, len(rows))
    fig, ax = plt.subplots(figsize=(9, 1.6 + 0.32 * n))
    ax.axvspan(-threshold, threshold, color="0.9", zorder=0, label="threshold band (±%.3g%%)" % threshold)
    ax.axvline(0, color="0.4", linewidth=0.8, zorder=1)
    seen = set()
    for y, r in enumerate(rows):
        colour = VERDICT_COLOURS.get(r["verdict"], "#1f77b4")
        label = r["verdict"] if r["verdict"] not in seen else None
        seen.add(r["verdict"])
        if r["verdict"] == "failed":
            ax.plot([0], [y], "x", color=colour, markersize=8, label=label, zorder=3)
            continue
        change, lo, hi = 100 * r["change"], 100 * r["ci_low"], 100 * r["ci_high"]
        ax.errorbar([change], [y], xerr=[[max(0.0, change - lo)], [max(0.0, hi - change)]], fmt="o", color=colour,
                    ecolor=colour, capsize=3, markersize=5, label=label, zorder=3)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r["label"] for r in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    confidence = int(round(100 * (1 - data["alpha"])))
    ax.set_xlabel("change of the median throughput, %% (bars: %d%% confidence interval)" % confidence)
    ax.grid(True, axis="x", alpha=0.3)
    if not rows:
        ax.text(0.5, 0.5, "no configuration was compared", transform=ax.transAxes, ha="center", color="0.4")
    # Above the axes: inside, it would hide a configuration's interval.
    ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.01), ncol=6, frameon=False)
    fig.tight_layout()
    return fig


def save(fig, out_dir, name):
    """name.png and name.svg in out_dir, each through a temporary file and a rename."""
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        fail(EXIT_IO, "cannot create %s: %s" % (out_dir, e.strerror))
    for ext in ("png", "svg"):
        final = os.path.join(out_dir, "%s.%s" % (name, ext))
        buffer = io.BytesIO()
        fig.savefig(buffer, format=ext, dpi=120, metadata={"Date": None} if ext == "svg" else {"Software": None})
        write_bytes(final, buffer.getvalue())


def write_bytes(path, content):
    try:
        html_report.refuse_unsafe_target(path)
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(os.path.abspath(path)))
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            os.chmod(tmp, 0o666 & ~html_report.UMASK)
            html_report.refuse_unsafe_target(path)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OSError as e:
        fail(EXIT_IO, "cannot write %s: %s" % (path, e.strerror or e))


# The markdown format_markdown() writes, as HTML: headings, paragraphs, pipe tables, "- " lists
# and the <details><summary> fold parbench itself writes; **strong**, `code` and backslash
# escapes and the character references markdown_text() writes inline. Everything else is text
# (escaped).

ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


def inline(text):
    out, strong, code, i = [], False, False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and not code:
            out.append(esc(text[i + 1]))
            i += 2
            continue
        entity = ENTITY.match(text, i) if ch == "&" and not code else None
        if entity:
            # markdown_text() writes < > & and a zero-width space as entities: the same in HTML.
            out.append(entity.group(0))
            i = entity.end()
            continue
        if ch == "`":
            out.append("</code>" if code else "<code>")
            code = not code
        elif text.startswith("**", i) and not code:
            out.append("</strong>" if strong else "<strong>")
            strong = not strong
            i += 1
        else:
            out.append(esc(ch))
        i += 1
    return "".join(out) + ("</code>" if code else "") + ("</strong>" if strong else "")


def cells(line):
    """The cells of a pipe-table line ("\\|" is a literal bar)."""
    parts, current, i = [], "", 0
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            current += line[i:i + 2]
            i += 2
            continue
        if line[i] == "|":
            parts.append(current.strip())
            current = ""
        else:
            current += line[i]
        i += 1
    parts.append(current.strip())
    return parts


SUMMARY = re.compile(r"^<details><summary>(.*)</summary>$")


def markdown_to_html(markdown):
    out, lines, i = [], markdown.split("\n"), 0
    paragraph, items = [], []

    def flush():
        if paragraph:
            out.append("<p>%s</p>" % inline(" ".join(paragraph)))
            del paragraph[:]
        if items:
            out.append("<ul>%s</ul>" % "".join("<li>%s</li>" % inline(t) for t in items))
            del items[:]

    while i < len(lines):
        line = lines[i]
        summary = SUMMARY.match(line.strip())
        if not line.strip():
            flush()
        elif line.startswith("#"):
            flush()
            level = min(6, len(line) - len(line.lstrip("#")))
            out.append("<h%d>%s</h%d>" % (level, inline(line[level:].strip()), level))
        elif summary:
            flush()
            out.append("<details open><summary>%s</summary>" % inline(summary.group(1)))
        elif line.strip() == "</details>":
            flush()
            out.append("</details>")
        elif line.startswith("|"):
            flush()
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(cells(lines[i]))
                i += 1
            aligns = ["num" if c.endswith(":") else "" for c in block[1]] if len(block) > 1 else []
            body = block[2:] if len(block) > 1 else []
            align = (lambda k: ' class="%s"' % aligns[k] if k < len(aligns) and aligns[k] else "")
            head = "".join("<th%s>%s</th>" % (align(k), inline(c)) for k, c in enumerate(block[0]))
            rows = "".join("<tr>%s</tr>" % "".join("<td%s>%s</td>" % (align(k), inline(c)) for k, c in enumerate(r))
                           for r in body)
            out.append('<div class="table-wrap"><table><thead><tr>%s</tr></thead><tbody>%s</tbody></table></div>'
                       % (head, rows))
            continue
        elif line.startswith("- "):
            if paragraph:
                flush()
            items.append(line[2:])
        else:
            if items:
                flush()
            paragraph.append(line.strip())
        i += 1
    flush()
    return "\n".join(out)


def write_html(path, data, fig, reason):
    if fig is not None:
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        plot = '<figure class="plot" data-plot="compare">%s<figcaption>change with its confidence interval per ' \
               'configuration; shaded: the threshold band</figcaption></figure>' % html_report.svg_markup(buffer.getvalue(), "c1")
        count = 1
    else:
        plot = '<p class="none">The comparison plot could not be drawn: %s.</p>' % esc(reason)
        count = 0
    body = markdown_to_html(data.get("markdown", "")) + "\n<h2>Plot</h2>\n" + plot
    page = html_report.page("parbench compare", "baseline%s, current%s" % (data.get("baseline", ""),
                                                                          data.get("current", "")), body, count)
    try:
        html_report.write_atomically(path, page)
    except OSError as e:
        fail(EXIT_IO, "cannot write %s: %s" % (path, e.strerror or e))


def parse_args(argv):
    usage = "usage: compare_plot.py DATA_JSON [--plot DIR] [--html PATH]"
    if len(argv) < 2:
        fail(EXIT_USAGE, usage)
    options, rest = {}, argv[2:]
    while rest:
        if len(rest) < 2 or rest[0] not in ("--plot", "--html"):
            fail(EXIT_USAGE, usage)
        options[rest[0]] = rest[1]
        rest = rest[2:]
    return argv[1], options.get("--plot"), options.get("--html")


def main(argv):
    data_path, plot_dir, html_path = parse_args(argv)
    try:
        with open(data_path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        fail(EXIT_USAGE, "cannot read %s: %s" % (data_path, e))
    plt, reason = load_matplotlib()
    if plt is None and plot_dir:
        fail(EXIT_IO, reason)
    fig = draw(plt, data) if plt is not None else None
    if plot_dir:
        save(fig, plot_dir, "compare")
    if html_path:
        write_html(html_path, data, fig, reason)


if __name__ == "__main__":
    main(sys.argv)
