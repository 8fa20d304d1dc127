"""Run every ``benchmarks/bench_*.py``, one after the other, each in its own process.

This is what ``make bench`` runs. A new benchmark is picked up by its file name alone. Each
script runs with this same interpreter, from the repository root, and writes its own
results under ``benchmarks/results/``. The exit status is 1 if any of them failed.
"""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    # Tell the benchmarks how they were started, for the line that records it.
    command = "make bench" if "MAKELEVEL" in os.environ else "python benchmarks/run_all.py"
    env = {**os.environ, "BENCH_COMMAND": command}
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script)], cwd=HERE.parent, env=env).returncode:
            failed.append(script.name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")
    print("all benchmarks passed")


if __name__ == "__main__":
    main()
