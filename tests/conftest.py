"""Shared fixtures: the book is built once per test session; one headless browser per module."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"

sys.path.insert(0, str(ROOT / "tools"))
from browser import find as find_browser  # noqa: E402

# CHROMIUM=/path/to/browser chooses it; see tools/browser.py for where else it is looked for.
CHROMIUM, NO_BROWSER = find_browser()
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Playwright, for the site test and the JupyterLab test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def book_build():
    """Build the book with the strict flags of `make book`; return (exit code, log)."""
    jb = Path(sys.executable).with_name("jupyter-book")
    assert jb.exists(), f"jupyter-book is not installed next to {sys.executable}"
    shutil.rmtree(ROOT / "_build", ignore_errors=True)   # a full build: cached pages hide warnings
    result = subprocess.run([str(jb), "build", str(ROOT), "-W", "-n", "--keep-going"],
                            capture_output=True, text=True, cwd=ROOT)
    return result.returncode, result.stdout + result.stderr
