#!/bin/sh
# The device check (docs/gpu.md, "The device check"): one prepared run for a machine with up to
# 16 cores and an NVIDIA GPU, without parbench's Debian packages and without a network.
#
#   bench/device_check.sh bundle BUILD_DIR OUT_DIR
#       copy parbench, parbench_kernel_bench, tests/cuda_test, this script, gpu_check.sh and
#       every shared library they need outside glibc (OUT_DIR/lib) into OUT_DIR
#   bench/device_check.sh [--quick] [--out OUT] [DIR]
#       machine facts; the default suite without triad at W = 1, 2, 4, 8, 12, 16 (at most the
#       CPUs this process may use) with --pin none and --pin spread; the bare OpenMP reference
#       loop of parbench_kernel_bench at the same W, unpinned and pinned; each backend's
#       efficiency at the largest W against the reference's; then bench/gpu_check.sh when a GPU
#       is present
#
# DIR: a bundle (default: this script's folder when it holds parbench) or a build tree
# (default build/release). OUT (default: $OUT if set, else device-check/) receives every report
# folder, the logs and the summary. Full mode takes about 4.5 minutes on 16 cores and a GPU;
# --quick: tiny sizes (10 to 20 s on 2 cores), reporting the efficiency goal without gating on it.
#
# Exit: 0 every check passed and every goal was met; 1 a check failed (a run failed or
# disagreed with serial, a backend or the reference is missing, the GPU disagreed or is
# unusable); 2 bad usage or missing binaries; 3 every check passed but a goal was missed
# (efficiency, GPU throughput); 5 the CPU part passed (goals met, or not gated under --quick)
# but there is no GPU, so the GPU checks were not run. 1 wins over 3, 3 over 5.
set -u

here=$(cd "$(dirname "$0")" && pwd)
tolerance=0.03  # efficiency points a backend may trail the reference loop by at the largest W

usage() {
  echo "usage: bench/device_check.sh [--quick] [--out OUT] [DIR] | bench/device_check.sh bundle BUILD_DIR OUT_DIR" >&2
  exit 2
}

# ---- bundle mode

if [ "${1:-}" = bundle ]; then
  [ $# -eq 3 ] || usage
  build=$2
  dest=$3
  set -e
  for bin in "$build/parbench" "$build/bench/parbench_kernel_bench"; do
    [ -x "$bin" ] || { echo "device_check: no $bin: build it (cmake --build $build)" >&2; exit 2; }
  done
  mkdir -p "$dest/lib"
  bins="$build/parbench $build/bench/parbench_kernel_bench"
  if [ -x "$build/tests/cuda_test" ]; then
    bins="$bins $build/tests/cuda_test"
  else
    echo "device_check: no $build/tests/cuda_test (no CUDA or no tests in this build): the GPU unit tests will not run"
  fi
  for bin in $bins; do cp "$bin" "$dest/"; done
  cp "$here/device_check.sh" "$here/gpu_check.sh" "$dest/"
  # Every library ldd resolves but glibc's own (the device has a glibc; its driver's libcuda.so
  # is loaded at run time and must stay the device's). TBB loads libtbbmalloc by name.
  for bin in $bins; do
    ldd "$bin" | awk '/=> \// {print $3}'
  done | sort -u | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|libutil.so*|ld-linux*) ;;
      libtbb.so*)
        cp -L "$lib" "$dest/lib/"
        if [ -e "$(dirname "$lib")/libtbbmalloc.so.2" ]; then cp -L "$(dirname "$lib")/libtbbmalloc.so.2" "$dest/lib/"; fi ;;
      *) cp -L "$lib" "$dest/lib/" ;;
    esac
  done
  # The bundle must stand on its own: nothing but glibc from the system.
  for bin in $bins; do
    outside=$(env LD_LIBRARY_PATH="$dest/lib" ldd "$dest/$(basename "$bin")" | awk -v lib="$(cd "$dest/lib" && pwd)" '
      /not found/ {print; next}
      /=> \// && index($3, lib "/") != 1 && $3 !~ /\/(libc|libm|libdl|librt|libpthread|libutil)\.so|\/ld-linux/ {print}')
    [ -z "$outside" ] || { echo "device_check: $(basename "$bin") still needs, from outside the bundle:"; echo "$outside"; exit 1; }
  done
  env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$dest/lib" "$dest/parbench" list >/dev/null ||
    { echo "device_check: the bundled parbench does not start with only $dest/lib" >&2; exit 1; }
  echo "bundle in $dest ($(du -sh "$dest" | cut -f1)): copy it to the device and run $dest/device_check.sh"
  exit 0
fi

# ---- run mode: arguments

quick=0
out=${OUT:-device-check}
dir=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift ;;
    --out=*) out=${1#--out=} ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) usage ;;
    *) [ -z "$dir" ] || usage; dir=$1 ;;
  esac
  shift
done
if [ -z "$dir" ]; then
  if [ -x "$here/parbench" ]; then dir=$here; else dir=build/release; fi
fi
parbench="$dir/parbench"
kbench="$dir/parbench_kernel_bench"
[ -x "$kbench" ] || kbench="$dir/bench/parbench_kernel_bench"
[ -x "$parbench" ] || { echo "device_check: no parbench in $dir: build it (cmake --build --preset release) or pass DIR" >&2; exit 2; }
[ -x "$kbench" ] || { echo "device_check: no parbench_kernel_bench in $dir or $dir/bench" >&2; exit 2; }
[ -d "$dir/lib" ] && export LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# spawn's workers (and the kernel bench's process backends) run parbench itself.
PARBENCH_WORKER_EXE=$(cd "$dir" && pwd)/parbench
export PARBENCH_WORKER_EXE

mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
# A previous check's files would mix with this one's.
rm -rf "$out"/cpu-pin-* "$out"/reference-pin-* "$out/facts" "$out/facts.txt" "$out/facts.console.txt" \
  "$out/efficiency.txt" "$out/suite.json" "$out/gpu_check.txt" "$out/exit_code" "$out/device_check.log"

# ---- sizes

cpus=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
wmax=$cpus
[ "$wmax" -gt 16 ] && wmax=16
workers=""
for w in 1 2 4 8 12 16; do
  [ "$w" -le "$wmax" ] && workers="$workers${workers:+,}$w"
done
case ",$workers," in *",$wmax,"*) ;; *) workers="$workers,$wmax" ;; esac

# The default suite without triad (its 768 MiB of first-touched arrays per run cost 5-9 s of page
# faults per run on the VMs measured, too much and too unpredictable for the time limit), as a
# suite file: pi at every W and 2^28, 2^30 samples (with the break-even sweep), imbalanced at the
# largest W with every schedule, stepped (1000 steps and its one-step twin) at every W.
if [ "$quick" -eq 1 ]; then
  mode="quick"
  compare_size=4194304
  pi_sizes="$compare_size"
  imbalanced_size=4194304
  stepped_size=4096000
  break_even="4096, 65536"
  repetitions=3
  overhead_repetitions=3
  run_timeout=120
  ref_args="--benchmark_repetitions=3 --benchmark_min_time=0.05"
else
  mode="full"
  compare_size=1073741824  # the default suite's largest pi size, 2^30
  pi_sizes="268435456, $compare_size"
  imbalanced_size=33554432
  stepped_size=8192000
  break_even="4096, 16384, 65536, 262144, 1048576, 4194304, 16777216"
  repetitions=5
  overhead_repetitions=7
  run_timeout=200  # about 100 s expected on 16 cores (docs/gpu.md): a guard against a hang
  ref_args="--benchmark_repetitions=5 --benchmark_min_time=0.2"
fi
suite_json() {
  cat <<EOF
{
  "name": "device-check-$mode",
  "kernels": ["pi",
    {"name": "imbalanced", "samples": [$imbalanced_size], "workers": [$wmax], "schedules": ["all"], "break_even": false},
    {"name": "stepped", "params": {"steps": 1000}, "samples": [$stepped_size], "break_even": false}],
  "workers": [$(echo "$workers" | sed 's/,/, /g')],
  "samples": [$pi_sizes],
  "break_even_sizes": [$break_even],
  "repetitions": $repetitions,
  "overhead_repetitions": $overhead_repetitions
}
EOF
}
ref_filter="^openmp_reference/philox/($(echo "$workers" | tr ',' '|'))/"

# ---- helpers

now() { date +%s; }
started=$(now)
step_started=$started
step() {  # step TITLE: a heading, with the time the previous step took
  t=$(now)
  echo
  echo "== $1 (at $((t - started)) s; previous step $((t - step_started)) s)"
  step_started=$t
}
logged() {  # logged FILE COMMAND...: COMMAND's output to the console and FILE; returns its status
  _file=$1
  shift
  { "$@"; echo $? >"$_file.rc"; } 2>&1 | tee "$_file"
  _rc=$(cat "$_file.rc" 2>/dev/null || echo 1)
  rm -f "$_file.rc"
  return "$_rc"
}
# shellcheck disable=SC2317 # called through logged
uncoloured() {  # uncoloured COMMAND...: COMMAND's output without terminal colour codes; returns its status
  { "$@" 2>&1; echo $? >"$out/.uncoloured.rc"; } | sed "s/$(printf '\033')\[[0-9;]*m//g"
  _rc=$(cat "$out/.uncoloured.rc" 2>/dev/null || echo 1)
  rm -f "$out/.uncoloured.rc"
  return "$_rc"
}
has_gpu() {
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then return 0; fi
  ls /dev/nvidia[0-9]* >/dev/null 2>&1
}

# An awk prelude for results.csv: v("column") is the current row's cell (RFC 4180: quotes, CRLF).
# shellcheck disable=SC2016 # awk code, not shell
csv_awk='
function csv_split(line, f,    n, i, c, field, q) {
  sub(/\r$/, "", line)
  if (index(line, "\"") == 0) return split(line, f, ",")
  n = 0; field = ""; q = 0
  for (i = 1; i <= length(line); i++) {
    c = substr(line, i, 1)
    if (q) {
      if (c == "\"") {
        if (substr(line, i + 1, 1) == "\"") { field = field "\""; i++ } else q = 0
      } else field = field c
    } else if (c == "\"") q = 1
    else if (c == ",") { f[++n] = field; field = "" }
    else field = field c
  }
  f[++n] = field
  return n
}
NR == 1 { ncol = csv_split($0, head); for (i = 1; i <= ncol; i++) col[head[i]] = i; next }
{ csv_split($0, f) }
function v(name) { return (name in col) ? f[col[name]] : "" }
'

# The median samples/s of openmp_reference/philox/W from Google Benchmark's JSON, as "W RATE" lines.
reference_rates() {
  awk '
    /"run_name":/ { name = $2; gsub(/[",]/, "", name) }
    /"run_type":/ { type = $2; gsub(/[",]/, "", type) }
    /"aggregate_name":/ { agg = $2; gsub(/[",]/, "", agg) }
    /"samples\/s":/ { rate = $2; gsub(/,/, "", rate) }
    /^ *}/ && name != "" {
      split(name, p, "/")
      if (p[1] == "openmp_reference" && (type == "iteration" || agg == "median")) {
        if (type == "iteration") { it[p[3]] = rate } else { med[p[3]] = rate }
      }
      name = type = agg = rate = ""
    }
    END {
      for (w in it) if (!(w in med)) med[w] = it[w]
      for (w in med) print w, med[w]
    }' "$1" | sort -n
}

failed=0
missed=0
check_failed() { echo "CHECK FAILED: $*"; failed=1; }

main() {
  step "device: $mode mode, W = $workers, output in $out"
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(uname -n) $(uname -sr)"
    echo "nproc: $cpus"
    if command -v lscpu >/dev/null 2>&1; then
      lscpu | grep -E '^(Model name|Socket|Core|Thread|NUMA node|CPU\(s\)|On-line|L2|L3|CPU max MHz)' | sed 's/  */ /g'
    fi
    awk '/^MemTotal/ {printf "memory: %.1f GiB\n", $2 / 1048576}' /proc/meminfo 2>/dev/null
    if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi -L 2>&1; else echo "nvidia-smi: not installed"; fi
    echo "OMP_*: $(env | grep '^OMP_' | tr '\n' ' ')"
  } | tee "$out/facts.txt"
  # parbench's own header (build, topology, what this process may use), from a tiny run.
  if ! "$parbench" run --backend serial --kernel pi --samples 65536 --workers 1 --repetitions 1 --no-break-even \
    --no-overhead --quiet --out "$out/facts" >"$out/facts.console.txt" 2>&1; then
    check_failed "parbench does not run here:"
    cat "$out/facts.console.txt"
    return 1
  fi
  mv "$out/facts.console.txt" "$out/facts/console.txt"
  grep -E '^(parbench [0-9]|machine:)' "$out/facts/console.txt" | tee -a "$out/facts.txt"
  "$parbench" list | tee "$out/facts/list.txt" | sed -n '/^backends/,/^kernels/p' | grep '^  [a-z]'
  backends=$(sed -n '/^backends/,/^kernels/p' "$out/facts/list.txt" |
    awk '/^  [a-z]/ && $1 != "serial" && $1 != "cuda" && !/\[unavailable/ {print $1}')

  suite_json >"$out/suite.json"
  for pin in none spread; do
    step "CPU: the default suite (without triad) at W = $workers, --pin $pin"
    # Not --quiet: away from a terminal, parbench prints a line per phase and its progress every so often.
    report="$out/cpu-pin-$pin"
    logged "$out/cpu-pin-$pin.console.txt" "$parbench" run --suite "$out/suite.json" --pin "$pin" \
      --run-timeout "$run_timeout" --out "$report"
    rc=$?
    [ -f "$report/results.csv" ] && mv "$out/cpu-pin-$pin.console.txt" "$report/console.txt"
    case $rc in
      0) ;;
      3) check_failed "parbench run --pin $pin: a run failed, disagreed with serial or the run timed out (exit 3)" ;;
      *) check_failed "parbench run --pin $pin exited $rc" ;;
    esac
  done

  for pin in none spread; do
    step "CPU: the bare OpenMP reference loop (openmp_reference/philox, $compare_size samples), $pin"
    if [ "$pin" = spread ]; then set -- env OMP_PLACES=cores OMP_PROC_BIND=spread; else set -- env; fi
    # shellcheck disable=SC2086 # ref_args is a list of flags
    # The kernel bench's own console reporter always colours its output.
    logged "$out/reference-pin-$pin.txt" uncoloured "$@" PARBENCH_BENCH_PARALLEL_SAMPLES="$compare_size" "$kbench" \
      --benchmark_filter="$ref_filter" $ref_args --benchmark_report_aggregates_only=true \
      --benchmark_out="$out/reference-pin-$pin.json" --benchmark_out_format=json ||
      check_failed "parbench_kernel_bench (reference, $pin) exited $?"
  done

  step "CPU: efficiency at W = $wmax, each backend against the reference loop (goal: at most $tolerance below)"
  table
  [ "$quick" -eq 1 ] && [ "$missed" -ne 0 ] && { echo "(--quick: the efficiency goal is reported, not gated)"; missed=0; }

  step "GPU"
  if ! has_gpu; then
    echo "no GPU: GPU checks not run (no nvidia-smi -L device and no /dev/nvidia*)" | tee "$out/gpu_check.txt"
    gpu=none
  else
    logged "$out/gpu_check.txt" sh "$here/gpu_check.sh" "$dir"
    case $? in
      0) gpu=ok ;;
      3) gpu=slow; missed=1 ;;
      *) gpu=failed; check_failed "bench/gpu_check.sh: see $out/gpu_check.txt" ;;
    esac
  fi

  step "summary"
  echo "mode $mode, W = $workers, $(( $(now) - started )) s in all; reports, logs and tables in $out"
  [ "$gpu" = none ] && echo "no GPU: GPU checks not run"
  if [ "$failed" -ne 0 ]; then code=1; verdict="a check failed (CHECK FAILED above)"
  elif [ "$missed" -ne 0 ]; then code=3; verdict="every check passed, a goal was missed"
  elif [ "$gpu" = none ]; then code=5; verdict="the CPU part passed; no GPU: GPU checks not run"
  else code=0; verdict="every check passed, every goal met"
  fi
  echo "device_check: exit $code: $verdict"
  return "$code"
}

# The efficiency table (also in efficiency.txt); sets failed and missed.
table() {
  : >"$out/efficiency.txt"
  for pin in none spread; do
    eval "ref_eff_$pin="
    json="$out/reference-pin-$pin.json"
    [ -f "$json" ] && reference_rates "$json" >"$out/reference-pin-$pin.rates"
    if [ -s "$out/reference-pin-$pin.rates" ]; then
      awk -v pin="$pin" '{w[NR] = $1; r[NR] = $2} END {
        printf "reference loop, %s:", pin
        for (i = 1; i <= NR; i++) printf "  W=%s %.3g/s %.1f%%", w[i], r[i], w[1] == 1 ? 100 * r[i] / (w[i] * r[1]) : 0
        printf "\n" }' "$out/reference-pin-$pin.rates" | tee -a "$out/efficiency.txt"
      eval "ref_eff_$pin=$(awk -v w="$wmax" '$1 == 1 {one = $2} $1 == w {at = $2}
        END {if (one != "" && at != "") printf "%.6f", at / (w * one)}' "$out/reference-pin-$pin.rates")"
    fi
    rm -f "$out/reference-pin-$pin.rates"
  done
  printf '%-7s %-11s %-9s %10s %10s %7s  %s\n' pinning backend schedule efficiency reference points verdict |
    tee -a "$out/efficiency.txt"
  for pin in none spread; do
    csv="$out/cpu-pin-$pin/results.csv"
    ref=$(eval "echo \"\${ref_eff_$pin}\"")
    if [ -z "$ref" ]; then
      check_failed "no openmp_reference/philox at W = 1 and $wmax (pin $pin): see $out/reference-pin-$pin.txt"
      continue
    fi
    [ -f "$csv" ] || { check_failed "no $csv"; continue; }
    awk -v pin="$pin" -v w="$wmax" -v size="$compare_size" -v ref="$ref" -v tol="$tolerance" \
      -v expected="$backends" -v status_file="$out/efficiency.status" "$csv_awk"'
      v("row_type") == "aggregate" && v("kernel") == "pi" && v("kind") == "backend" && v("workers") == w &&
      v("size") == size {
        key = v("backend") " " v("schedule")
        seen[v("backend")] = 1
        rows[++nrows] = key; status[key] = v("status"); eff[key] = v("efficiency")
      }
      END {
        for (i = 1; i <= nrows; i++) {
          k = rows[i]; split(k, p, " ")
          if (status[k] != "ok") {
            printf "%-7s %-11s %-9s %10s %10s %7s  FAIL (no ok run)\n", pin, p[1], p[2], "-", "-", "-"; bad = 1; continue
          }
          pass = eff[k] >= ref - tol
          if (!pass) miss = 1
          printf "%-7s %-11s %-9s %9.1f%% %9.1f%% %+7.1f  %s\n", pin, p[1], p[2], 100 * eff[k], 100 * ref,
            100 * (eff[k] - ref), pass ? "PASS" : "FAIL"
        }
        m = split(expected, e, " ")
        for (i = 1; i <= m; i++) {
          if (e[i] in seen) continue
          if (e[i] == "mpi" && pin != "none") {
            printf "%-7s %-11s %-9s %10s %10s %7s  skipped (mpi does not pin)\n", pin, e[i], "-", "-", "-", "-"
          } else {
            printf "%-7s %-11s %-9s %10s %10s %7s  FAIL (no row at W = %s)\n", pin, e[i], "-", "-", "-", "-", w; bad = 1
          }
        }
        print bad + 0, miss + 0 > status_file
      }' "$csv" | tee -a "$out/efficiency.txt"
    read -r bad miss <"$out/efficiency.status"
    rm -f "$out/efficiency.status"
    [ "$bad" -eq 0 ] || check_failed "a backend has no ok run at W = $wmax (pin $pin)"
    [ "$miss" -eq 0 ] || missed=1
  done
  echo "efficiency: speedup over serial / W (results.csv, pi, $compare_size samples); reference: rate(W) /" \
    "(W x rate(1)) of the bare loop; PASS: at most $(awk -v t="$tolerance" 'BEGIN {print 100 * t}') points below it" |
    tee -a "$out/efficiency.txt"
}

{ main; echo "$?" >"$out/exit_code"; } 2>&1 | tee "$out/device_check.log"
exit "$(cat "$out/exit_code" 2>/dev/null || echo 1)"
