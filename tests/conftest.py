"""Shared fixtures: the book is built once per test session."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def book_build():
    """Build the book with the strict flags of `make book`; return (exit code, log)."""
    jb = Path(sys.executable).with_name("jupyter-book")
    assert jb.exists(), f"jupyter-book is not installed next to {sys.executable}"
    shutil.rmtree(ROOT / "_build", ignore_errors=True)   # a full build: cached pages hide warnings
    result = subprocess.run([str(jb), "build", str(ROOT), "-W", "-n", "--keep-going"],
                            capture_output=True, text=True, cwd=ROOT)
    return result.returncode, result.stdout + result.stderr
