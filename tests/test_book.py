"""The strict book build: any Sphinx warning (a broken reference, a missing citation, a
notebook missing from the table of contents) fails the test."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_book_builds_without_warnings():
    jb = Path(sys.executable).with_name("jupyter-book")
    assert jb.exists(), f"jupyter-book is not installed next to {sys.executable}"
    shutil.rmtree(ROOT / "_build" / ".doctrees", ignore_errors=True)
    result = subprocess.run([str(jb), "build", str(ROOT), "-W", "-n", "--keep-going"],
                            capture_output=True, text=True, cwd=ROOT)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"the book build failed:\n{log[-6000:]}"
    assert "WARNING" not in log, f"the book build warned:\n{log[-6000:]}"
    assert (ROOT / "_build" / "html" / "index.html").exists()
