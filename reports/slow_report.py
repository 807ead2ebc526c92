"""Copies a parbench report with every timing made slower, to test the regression gate.

Usage: /usr/bin/python3 reports/slow_report.py REPORT_DIR OUT_DIR FACTOR

Throughput columns (items_per_s, items_per_s_per_worker, bytes_per_s; in a schema 1 report
samples_per_s, samples_per_s_per_worker) are multiplied by FACTOR and wall and CPU times divided by it (a slower build: the same CPUs busy for longer), on
every ok row; columns are found by name, so any schema works. Everything else (metadata.json, the
other CSVs) is copied unchanged, so `parbench compare REPORT_DIR OUT_DIR` must report a regression when FACTOR is well
below 1. Only the Python standard library is used. Used by .ci/run; see docs/ci.md.
"""

import csv
import os
import shutil
import sys

THROUGHPUT = ("items_per_s", "items_per_s_per_worker", "bytes_per_s",
              "samples_per_s", "samples_per_s_per_worker")  # the last two: schema 1
TIMES = ("wall_s", "cpu_s", "wall_s_mean", "wall_s_stddev", "wall_s_min", "wall_s_max")


def main(argv):
    if len(argv) != 4:
        sys.stderr.write("usage: slow_report.py REPORT_DIR OUT_DIR FACTOR\n")
        return 2
    src, dst, factor = argv[1], argv[2], float(argv[3])
    if not 0 < factor:
        sys.stderr.write("FACTOR must be positive\n")
        return 2
    os.makedirs(dst, exist_ok=True)
    for name in os.listdir(src):
        if os.path.isfile(os.path.join(src, name)) and name != "results.csv":
            shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
    with open(os.path.join(src, "results.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, strict=True))
    header = rows[0]
    status = header.index("status")
    for row in rows[1:]:
        if row[status] != "ok":
            continue
        for i, name in enumerate(header):
            if row[i] == "":
                continue
            if name in THROUGHPUT:
                row[i] = "%.17g" % (float(row[i]) * factor)
            elif name in TIMES:
                row[i] = "%.17g" % (float(row[i]) / factor)
    with open(os.path.join(dst, "results.csv"), "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
