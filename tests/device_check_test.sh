#!/bin/sh
# bench/device_check.sh end to end (docs/gpu.md, "The device check"): a bundle of this build
# tree, run in --quick mode with nothing but /usr/bin:/bin and the bundle's own lib/, prints the
# efficiency table, writes its reports under --out, and ends with exit 5 (no GPU: GPU checks not
# run) or, on a machine with a GPU, 0 or 3. Performance is never gated here: --quick reports the
# efficiency goal without failing on it.
#
#   tests/device_check_test.sh SOURCE_DIR BUILD_DIR
set -u
src=${1:?usage: tests/device_check_test.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: tests/device_check_test.sh SOURCE_DIR BUILD_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

echo "== bundle"
sh "$src/bench/device_check.sh" bundle "$build" "$work/bundle" || { echo "FAIL: bundle"; exit 1; }
for f in parbench parbench_kernel_bench device_check.sh gpu_check.sh; do
  [ -x "$work/bundle/$f" ] || fail "the bundle has no executable $f"
done
set -- "$work"/bundle/lib/libhwloc.so*
[ -e "$1" ] || fail "the bundle has no libhwloc"
for lib in "$work"/bundle/lib/*; do
  case ${lib##*/} in libc.so* | libm.so* | libpthread.so* | libdl.so* | librt.so* | ld-linux*)
    fail "the bundle carries glibc's ${lib##*/}" ;;
  esac
done
env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$work/bundle/lib" "$work/bundle/parbench" list >"$work/list.txt" 2>&1 ||
  fail "the bundled parbench list failed: $(cat "$work/list.txt")"
grep -q '^  serial ' "$work/list.txt" || fail "the bundled parbench list shows no serial backend"
# The old entry point makes the same bundle.
sh "$src/bench/gpu_check.sh" bundle "$build" "$work/bundle2" >/dev/null || fail "gpu_check.sh bundle failed"
[ "$(cd "$work/bundle" && ls -R)" = "$(cd "$work/bundle2" && ls -R)" ] || fail "gpu_check.sh bundle differs from device_check.sh's"
rm -rf "$work/bundle2"

echo "== device_check.sh --quick from the bundle"
start=$(date +%s)
env -i PATH=/usr/bin:/bin HOME="$work" "$work/bundle/device_check.sh" --quick --out "$work/out" >"$work/log" 2>&1
rc=$?
echo "exit $rc after $(($(date +%s) - start)) s"
sed -n '/== CPU: efficiency/,$p' "$work/log"

gpu=0
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then gpu=1; fi
ls /dev/nvidia[0-9]* >/dev/null 2>&1 && gpu=1
if [ "$gpu" -eq 0 ]; then
  [ "$rc" -eq 5 ] || fail "exit $rc without a GPU, expected 5"
  grep -q '^no GPU: GPU checks not run' "$work/log" || fail "no 'no GPU: GPU checks not run' line"
else
  [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "exit $rc with a GPU, expected 0 or 3"
fi
[ "$(cat "$work/out/exit_code" 2>/dev/null)" = "$rc" ] || fail "out/exit_code does not hold $rc"
grep -q '^device_check: exit '"$rc"': ' "$work/log" || fail "no final 'device_check: exit $rc' line"

for f in facts.txt device_check.log efficiency.txt cpu-pin-none/results.csv cpu-pin-spread/results.csv \
  cpu-pin-none/console.txt reference-pin-none.json reference-pin-spread.json gpu_check.txt; do
  [ -s "$work/out/$f" ] || fail "no $f under --out"
done
grep -q '^machine: ' "$work/out/facts.txt" || fail "facts.txt lacks parbench's machine line"
grep -q '^reference loop, none: .*W=1 ' "$work/log" || fail "no reference loop line (unpinned)"
grep -q '^reference loop, spread: .*W=1 ' "$work/log" || fail "no reference loop line (pinned)"
grep -q '^pinning  *backend  *schedule  *efficiency  *reference  *points  *verdict' "$work/log" ||
  fail "no efficiency table header"
# One row per available CPU backend and pinning, each with a verdict (or, for mpi where it does not
# pin, a note that it was skipped).
backends=$(sed -n '/^backends/,/^kernels/p' "$work/list.txt" |
  awk '/^  [a-z]/ && $1 != "serial" && $1 != "cuda" && !/\[unavailable/ {print $1}')
[ -n "$backends" ] || fail "no CPU backends in the bundled parbench list"
for b in $backends; do
  grep -Eq "^none +$b +[a-z]+ +[0-9.]+% +[0-9.]+% +[-+][0-9.]+ +(PASS|FAIL)\$" "$work/log" ||
    fail "no efficiency row for $b (pin none)"
  grep -Eq "^spread +$b +[a-z]+ +[0-9.]+% +[0-9.]+% +[-+][0-9.]+ +(PASS|FAIL)\$" "$work/log" ||
    { [ "$b" = mpi ] && grep -Eq "^spread +mpi .*skipped \(mpi does not pin\)" "$work/log"; } ||
    fail "no efficiency row for $b (pin spread)"
done
grep -q 'CHECK FAILED' "$work/log" && fail "a check failed: $(grep 'CHECK FAILED' "$work/log")"

if [ "$failures" -ne 0 ]; then
  echo "== the whole log"
  cat "$work/log"
  exit 1
fi
echo "device_check_test: passed"
