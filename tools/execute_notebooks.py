"""Run notebooks top to bottom in a fresh kernel and save them with their outputs.

    python tools/execute_notebooks.py chapters/03_ngrams_vs_sequence_models.ipynb
    python tools/execute_notebooks.py            # every notebook under chapters/ and appendix/

The stored outputs are what the HTML book shows and what nbval compares in `make test`,
so run this after every change to a notebook or to the library code it calls.
"""

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, timeout: int = 600) -> float:
    """Execute ``path`` in place in a fresh kernel; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    # record_timing=False: no per-cell timestamps, so a re-run changes only what changed.
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or [*sorted((ROOT / "chapters").glob("*.ipynb")),
                              *sorted((ROOT / "appendix").glob("*.ipynb"))]
    for path in paths:
        seconds = execute(path)
        print(f"{path}: {seconds:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
