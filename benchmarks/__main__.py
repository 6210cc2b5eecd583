"""Run every benchmark script in turn: ``python -m benchmarks [--quick]``."""

import pathlib
import subprocess
import sys

here = pathlib.Path(__file__).parent
extra = sys.argv[1:]
status = 0
for script in sorted(here.glob("bench_*.py")):
    print(f"\n=== {script.name} ===", flush=True)
    takes_quick = "--quick" in script.read_text()
    args = [a for a in extra if a != "--quick" or takes_quick]
    status |= subprocess.call([sys.executable, str(script), *args])
sys.exit(status)
