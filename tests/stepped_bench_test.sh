#!/bin/sh
# parbench_kernel_bench's stepped/ per-step costs, quickly: both results checked against serial
# (a benchmark that skips with an error fails this), the serial backend's own cost per step, and
# each backend's ratio table line with its net-of-serial cost and goal verdict. Never the goal
# itself: timings on a shared CI machine judge nothing.
# Usage: stepped_bench_test.sh <parbench_kernel_bench>
set -eu
bench="$1"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() { echo "FAIL: $*"; cat "$out"; exit 1; }

"$bench" --benchmark_filter='^(sync/std_barrier|stepped/(serial|threads))/1/' --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true >"$out" 2>&1 || fail "parbench_kernel_bench exited $?"
! grep -q 'ERROR OCCURRED' "$out" || fail "a benchmark skipped with an error"
grep -Eq '^  stepped/serial/1 +-?[0-9.]+ us/step \(sd +[0-9.]+\)  \(no synchronisation: the kernel.s own cost per step\)$' "$out" ||
  fail "no line for stepped/serial/1, the kernel's own cost per step"
grep -Eq '^  stepped/threads/1 +-?[0-9.]+ us/step \(sd +[0-9.]+\) +-?[0-9.]+x sync/std_barrier/1 +net +-?[0-9.]+ us/step +-?[0-9.]+x  goal 1\.5x: (met|not met|met \(cost below the noise\))$' "$out" ||
  fail "no ratio line for stepped/threads/1 with its net cost and goal verdict"
# Without the serial reference no goal is judged, and the line says why.
"$bench" --benchmark_filter='^(sync/std_barrier|stepped/threads)/1/' >"$out" 2>&1 || fail "exited $?"
grep -Eq '^  stepped/threads/1 .*\(stepped/serial/1 not measured: no goal judged\)$' "$out" ||
  fail "without stepped/serial/1 the threads line should say that no goal is judged"
echo "ok"
