"""Run every benchmark script in turn: ``python -m benchmarks [--quick] [--threads N]``.

Each script prints its figures (see docs/benchmarks.md); ``--quick`` and
``--threads`` are passed to the scripts that take them.
"""

import argparse
import pathlib
import subprocess
import sys

here = pathlib.Path(__file__).parent
parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                 description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true",
                    help="fewer rounds, for the scripts that take it")
parser.add_argument("--threads", help="BLAS threads for every script (default 1)")
args = parser.parse_args()
status = 0
for script in sorted(here.glob("bench_*.py")):
    print(f"\n=== {script.name} ===", flush=True)
    # The options a script takes are those its --help lists (it exits before measuring).
    usage = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                           text=True).stdout
    quick = ["--quick"] if args.quick and "--quick" in usage else []
    threads = ["--threads", args.threads] if args.threads and "--threads" in usage else []
    status |= subprocess.call([sys.executable, str(script), *quick, *threads])
sys.exit(status)
