#!/bin/sh
# Device check for the cuda backend, to run on a machine with an NVIDIA GPU (see docs/gpu.md).
# bench/device_check.sh runs it as its GPU part, after the CPU checks.
#
#   bench/gpu_check.sh [DIR]          check exactness, the unavailable path and throughput
#   bench/gpu_check.sh bundle BUILD DIR
#                                     bench/device_check.sh's bundle: parbench,
#                                     parbench_kernel_bench, tests/cuda_test, both scripts and
#                                     the shared libraries they need (outside glibc) in DIR, for a
#                                     GPU machine without parbench's Debian libraries
#
# DIR holds `parbench` and `cuda_test` (a bundle; the default when this script sits in one) or
# `parbench` and `tests/cuda_test` (a build tree, default build/release). Exit 0: every check passed and throughput met the target;
# 1: a check failed (the GPU disagreed with the CPU, or the GPU is unusable); 3: exact but
# slower than the target.
set -eu

target=6e11  # samples/s for Philox at n >= 1e11 on an H100/H200-class GPU (issue 9)

if [ "${1:-}" = bundle ]; then
  [ $# -eq 3 ] || { echo "usage: bench/gpu_check.sh bundle BUILD_DIR OUT_DIR" >&2; exit 2; }
  exec sh "$(dirname "$0")/device_check.sh" bundle "$2" "$3"
fi

dir="${1:-}"
if [ -z "$dir" ]; then
  if [ -x "$(dirname "$0")/parbench" ]; then dir=$(dirname "$0"); else dir=build/release; fi
fi
parbench="$dir/parbench"
cuda_test="$dir/cuda_test"
[ -x "$cuda_test" ] || cuda_test="$dir/tests/cuda_test"
[ -d "$dir/lib" ] && export LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
[ -x "$parbench" ] || { echo "gpu_check: no parbench in $dir: build it (cmake --build --preset release) or pass DIR"; exit 1; }
[ -x "$cuda_test" ] || { echo "gpu_check: no cuda_test in $dir: configure with tests (PARBENCH_BUILD_TESTS=ON)"; exit 1; }

failed=0
fail() { echo "FAIL: $*"; failed=1; }

echo "== device"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.max.mem --format=csv || true
fi
"$parbench" list | grep '^  cuda ' || fail "parbench has no cuda backend (configure with -DPARBENCH_WITH_CUDA=ON)"
if "$parbench" list | grep -q '^  cuda .*unavailable'; then
  fail "the cuda backend is unavailable here (reason above)"
  exit 1
fi

echo "== unit tests on the GPU (none may be skipped)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$cuda_test" --gtest_filter='cuda_slices.*:cuda_gpu.*:cuda_info.*:cuda_backend.*' >"$log" 2>&1 || fail "cuda_test failed"
grep -E '^\[ +(PASSED|SKIPPED|FAILED) +\]' "$log" || true
grep -q '^\[  SKIPPED \]' "$log" && fail "GPU tests were skipped on a GPU machine"
grep -q '^\[  FAILED  \]' "$log" && { cat "$log"; fail "GPU tests failed"; }

echo "== exact agreement with the CPU through the CLI"
agree() {  # agree ARGS...: the listed backends must report the same hit count
  if out=$("$parbench" pi "$@" 2>&1) && echo "$out" | grep -q 'all backends agree'; then
    echo "ok   $*: $(echo "$out" | grep 'all backends agree')"
  else
    echo "$out"
    fail "pi $*"
  fi
}
for seed in 1 42 18446744073709551615; do
  for n in 1 65535 65537 10000003 1000000007; do
    agree --backend serial,cuda --samples "$n" --seed "$seed"
  done
  agree --backend serial,cuda --samples 10000003 --seed "$seed" --rng light
done
workers=$(nproc)
[ "$workers" -gt 1024 ] && workers=1024
agree --backend openmp,cuda --workers "$workers" --samples 100000000001 --seed 7

echo "== unavailable path (CUDA_VISIBLE_DEVICES= hides the GPU)"
set +e
out=$(CUDA_VISIBLE_DEVICES='' "$parbench" pi --backend cuda --samples 1000 2>&1)
rc=$?
set -e
echo "$out"
[ "$rc" -eq 2 ] || fail "pi --backend cuda without a visible GPU exited $rc, expected 2"
echo "$out" | grep -q "unavailable: no CUDA device" || fail "no reason given for the unavailable GPU"

echo "== throughput (target >= $target samples/s for Philox, n >= 1e11)"
slow=0
speed() {  # speed ARGS...: prints the samples/s column of a cuda run
  "$parbench" pi --backend cuda "$@" | awk '$1 == "cuda" {print $NF}'
}
for n in 1e11 1e12; do
  s=$(speed --samples "$n")
  if awk -v s="$s" -v t="$target" 'BEGIN {exit !(s >= t)}'; then verdict=ok; else verdict="BELOW TARGET"; slow=1; fi
  echo "philox n=$n: $s samples/s ($verdict)"
done
echo "light  n=1e12: $(speed --samples 1e12 --rng light) samples/s"
echo "one CPU core (serial, philox, n=1e9) for reference:"
"$parbench" pi --backend serial --samples 1e9 | awk '$1 == "serial" {print "serial n=1e9: " $NF " samples/s"}'

[ "$failed" -eq 0 ] || { echo "gpu_check: FAILED"; exit 1; }
[ "$slow" -eq 0 ] || { echo "gpu_check: exact, but below $target samples/s"; exit 3; }
echo "gpu_check: all checks passed"
