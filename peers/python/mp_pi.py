"""The tutorial's Monte Carlo pi, as it is taught, as a reference peer for parbench.

Pure-Python sampling with ``random.uniform`` in a ``multiprocessing.Pool`` that maps
W blocks of samples onto W worker processes (the method of the multiprocessing
tutorial in shared/seed/), with the start method selectable, plus a numpy-vectorised
variant. One JSON object per timed repetition is printed on stdout; see
docs/peers.md for the fields, the timing and the exit codes.

Run it with a Python that has numpy (Debian's /usr/bin/python3); the pure variant
needs only the standard library.
"""

import argparse
import json
import math
import multiprocessing
import os
import platform
import random
import re
import resource
import sys
import time

EXIT_USAGE = 2
EXIT_FAILED = 3
MAX_WORKERS = 1024  # parbench's documented cap
NUMPY_BATCH = 1 << 20  # samples per numpy draw: bounds memory at ~16 MiB per worker


def estimate_number_points_in_quarter_circle(number_estimates):
    """The tutorial's estimator, unchanged except for Python 3's range."""
    number_trials_in_quarter_circle = 0
    for step in range(int(number_estimates)):
        x = random.uniform(0, 1)
        y = random.uniform(0, 1)
        is_in_unit_circle = x * x + y * y <= 1.0
        number_trials_in_quarter_circle += is_in_unit_circle
    return number_trials_in_quarter_circle


def inject_fault(block):
    """Test hook: MP_PI_FAULT=raise|exit makes worker block 0 fail (tests/peer_test.cpp)."""
    fault = os.environ.get("MP_PI_FAULT", "")
    if block == 0 and fault == "raise":
        raise RuntimeError("fault injected by MP_PI_FAULT=raise")
    if block == 0 and fault == "exit":
        os._exit(7)  # the worker dies; Pool loses the task and would wait forever


def pure_block(task):
    seed, block, samples = task
    inject_fault(block)
    # Python reseeds the global generator from the OS in every forked child, so the
    # tutorial's runs are not reproducible; seeding per block makes --seed meaningful
    # without changing what each sample costs.
    random.seed(f"parbench:{seed}:{block}")
    return estimate_number_points_in_quarter_circle(samples)


def numpy_block(task):
    import numpy as np

    seed, block, samples = task
    inject_fault(block)
    rng = np.random.default_rng([seed, block])
    hits = 0
    left = samples
    while left > 0:
        m = min(left, NUMPY_BATCH)
        x = rng.random(m)
        y = rng.random(m)
        hits += int(np.count_nonzero(x * x + y * y <= 1.0))
        left -= m
    return hits


def split(samples, workers):
    """W blocks whose sizes differ by at most one, as the tutorial splits the work."""
    base, extra = divmod(samples, workers)
    return [base + (1 if b < extra else 0) for b in range(workers)]


def check_estimate(hits, samples):
    """The self-check every parbench run performs: |estimate - pi| <= 6 sigma."""
    p = math.pi / 4
    sigma = 4 * math.sqrt(p * (1 - p) / samples)
    estimate = 4 * hits / samples
    return estimate, (estimate - math.pi) / sigma


def parse_count(text):
    """A positive whole number: "100000", "1e5" or "2.5e6" (as parbench accepts)."""
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?([eE][0-9]+)?", text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive whole number (e.g. 100000 or 1e5)")
    mantissa, _, exponent = text.lower().partition("e")
    whole, _, frac = mantissa.partition(".")
    shift = int(exponent or 0) - len(frac)
    digits = int(whole + frac)
    if shift < 0:
        if digits % 10 ** -shift:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number")
        value = digits // 10 ** -shift
    else:
        value = digits * 10**shift
    if not 1 <= value <= 2**63:
        raise argparse.ArgumentTypeError(f"'{text}' is out of range 1..2^63")
    return value


def bounded_int(lo, hi, what):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} '{text}' is not an integer") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{what} {value} is out of range {lo}..{hi}")
        return value

    return parse


def positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--timeout '{text}' is not a number of seconds") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"--timeout {text} must be a positive number of seconds")
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="mp_pi.py",
        description="The multiprocessing tutorial's Monte Carlo pi (parbench's Python reference peer).",
    )
    parser.add_argument("--workers", "-w", type=bounded_int(1, MAX_WORKERS, "--workers"), default=1,
                        help="worker processes in the Pool, and blocks of samples (1..1024, default 1)")
    parser.add_argument("--samples", "-n", type=parse_count, default=100000,
                        help="total samples, e.g. 100000 or 1e5 (default 1e5)")
    parser.add_argument("--seed", type=bounded_int(0, 2**64 - 1, "--seed"), default=1,
                        help="seed (0..2^64-1, default 1); each block seeds its own stream from it")
    parser.add_argument("--repetitions", "-r", type=bounded_int(1, 100000, "--repetitions"), default=1,
                        help="timed repetitions, one JSON line each (default 1)")
    parser.add_argument("--warmup", type=bounded_int(0, 100000, "--warmup"), default=0,
                        help="untimed repetitions before the timed ones (default 0)")
    parser.add_argument("--timeout", type=positive_seconds, default=None,
                        help="fail (exit 3) when one repetition takes longer, e.g. after a worker died")
    parser.add_argument("--start-method", choices=["fork", "spawn", "forkserver"], default="fork",
                        help="how multiprocessing starts the workers (default fork)")
    parser.add_argument("--variant", choices=["pure", "numpy"], default="pure",
                        help="pure: the tutorial's random.uniform loop; numpy: vectorised draws (default pure)")
    args = parser.parse_args(argv)
    if args.start_method not in multiprocessing.get_all_start_methods():
        parser.error(f"start method '{args.start_method}' is not available on this platform; "
                     f"choose from {', '.join(multiprocessing.get_all_start_methods())}")
    if args.variant == "numpy":
        try:
            import numpy  # noqa: F401
        except ImportError:
            parser.error(f"--variant numpy needs numpy, which {sys.executable} does not have; "
                         "run with a Python that has it (e.g. /usr/bin/python3 on Debian)")
    return args


def cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_once(args, context):
    """One repetition as the tutorial does it: start a Pool, map the blocks, shut down."""
    body = pure_block if args.variant == "pure" else numpy_block
    tasks = [(args.seed, b, n) for b, n in enumerate(split(args.samples, args.workers))]
    cpu_start = cpu_seconds()
    start = time.perf_counter()
    pool = context.Pool(processes=args.workers)
    try:
        # map_async + get(timeout): a worker that dies leaves Pool.map waiting forever.
        counts = pool.map_async(body, tasks, chunksize=1).get(args.timeout)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()  # reaps the workers, so their CPU time is in RUSAGE_CHILDREN
    wall = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_start
    return sum(counts), wall, cpu


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    context = multiprocessing.get_context(args.start_method)
    numpy_version = None
    if args.variant == "numpy":
        import numpy

        numpy_version = numpy.__version__
    try:
        for _ in range(args.warmup):
            run_once(args, context)
        for rep in range(args.repetitions):
            hits, wall, cpu = run_once(args, context)
            estimate, sigmas = check_estimate(hits, args.samples)
            record = {
                "repetition": rep,
                "wall_s": wall,
                # forkserver's workers are children of the server, not of this process.
                "cpu_s": None if args.start_method == "forkserver" else cpu,
                "hits": hits,
                "samples": args.samples,
                "workers": args.workers,
                "seed": args.seed,
                "start_method": args.start_method,
                "variant": args.variant,
                "estimate": estimate,
                "python": platform.python_version(),
                "numpy": numpy_version,
            }
            print(json.dumps(record), flush=True)
            if abs(sigmas) > 6:
                print(f"mp_pi.py: error: estimate {estimate!r} is {sigmas:.1f} sigma from pi "
                      f"(hits {hits} of {args.samples}): the run is wrong", file=sys.stderr)
                return EXIT_FAILED
    except KeyboardInterrupt:
        return 128 + 2
    except multiprocessing.TimeoutError:
        print(f"mp_pi.py: error: run failed ({args.start_method}, {args.workers} workers): no result after "
              f"--timeout {args.timeout:g} s (a worker died or hung); workers were terminated", file=sys.stderr)
        return EXIT_FAILED
    except Exception as e:  # a worker raised: report it, as parbench does
        print(f"mp_pi.py: error: run failed ({args.start_method}, {args.workers} workers): "
              f"{type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
