"""Every notebook as a learner sees it: JupyterLab (from the lab requirements, with
jupyterlab-myst) served on localhost, driven by headless Chromium through Playwright.

Both editions are opened, the full one (``chapters/`` and the appendix notebooks) and the student edition of the labs and
the assignment (``make student``). In each notebook, as rendered: no raw MyST or build-time
markup is visible (``{glue``, ``:::{``, ``literalinclude``), exercises render as exercise
boxes, math is typeset, and what the book folds is folded (setup and solutions in the full
edition; setup, but not the cells the student writes in, in the student edition).
Screenshots of one chapter and one lab are saved under ``_build/screenshots/``.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import CHROMIUM, NO_BROWSER, ROOT, SCREENSHOTS

JUPYTER = Path(sys.executable).with_name("jupyter")
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "appendix").glob("*.ipynb"))
SCREENSHOT_OF = {"full/03_ngrams_vs_sequence_models.ipynb", "full/09_lab_vanilla_rnns_grus_and_scan.ipynb",
                 "student/09_lab_vanilla_rnns_grus_and_scan.ipynb"}
RAW = ("{glue", ":::{", "```{", "literalinclude", "{numref}`", "{eq}`", "{doc}`")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason=f"JupyterLab cannot be tested in a browser: {NO_BROWSER}"),
    pytest.mark.skipif(not JUPYTER.exists() or shutil.which("jupyter-lab", path=str(JUPYTER.parent)) is None,
                       reason="JupyterLab is not installed: make lab-env installs it"),
]

# Settings a learner would not change but a test needs: every cell in the page (JupyterLab
# otherwise renders only the cells near the viewport), and no pop-up asking about news.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
}

# Runs in the page once the notebook is open: what a reader sees, cell by cell.
INSPECT = """() => {
  const cells = Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell'));
  return cells.map(cell => ({
    kind: cell.classList.contains('jp-MarkdownCell') ? 'markdown' : (cell.classList.contains('jp-CodeCell') ? 'code' : 'raw'),
    input_hidden: !cell.querySelector('.jp-InputArea') && !!cell.querySelector('.jp-Placeholder'),
    rendered: cell.classList.contains('jp-MarkdownCell') ? cell.innerText : '',
    outputs: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(o => o.innerText).join('\\n'),
    math: cell.querySelectorAll('mjx-container, .katex, math').length,
    exercises: Array.from(cell.querySelectorAll('aside.myst-exercise')).map(el => el.innerText.slice(0, 40)),
  }));
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def notebooks_dir(tmp_path_factory):
    """A folder with both editions: ``full/`` (copies of chapters/) and ``student/``."""
    from rnnlib.coursework import release

    root = tmp_path_factory.mktemp("lab")
    (root / "full").mkdir()
    for path in NOTEBOOKS:
        shutil.copy(path, root / "full" / path.name)
    release.release(release.default_notebooks(ROOT / "chapters"), root / "student")
    return root


@pytest.fixture(scope="module")
def lab(notebooks_dir, tmp_path_factory):
    """JupyterLab on localhost, with its own settings, data and runtime folders; its URL."""
    home = tmp_path_factory.mktemp("jupyter")
    settings = home / "settings"
    for name, value in SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    port = _free_port()
    server = subprocess.Popen(
        [str(JUPYTER), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root",
         "--ServerApp.disable_check_xsrf=True",    # so the test can shut kernels down over the REST API
         f"--ServerApp.root_dir={notebooks_dir}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url + "api/status", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"JupyterLab did not start:\n{server.stderr.read()[-3000:]}")
            time.sleep(0.5)
    yield url
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def _shut_down_kernels(url: str) -> None:
    with urllib.request.urlopen(url + "api/sessions", timeout=10) as response:
        sessions = json.load(response)
    for session in sessions:
        request = urllib.request.Request(url + f"api/sessions/{session['id']}", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()


RENDER_STATE = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const markdown = Array.from(panel.querySelectorAll('.jp-MarkdownCell'));
  return [markdown.length, markdown.filter(c => c.querySelector('.myst')).length,
          panel.querySelectorAll('.katex, aside.myst-exercise, details').length];
}"""


def _wait_until_rendered(page, timeout: float = 60.0) -> None:
    """Until every markdown cell has been rendered by jupyterlab-myst and the count of
    rendered math and boxes has stopped changing (the renderer works asynchronously)."""
    deadline, previous = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        state = page.evaluate(RENDER_STATE)
        if state == previous and state[0] == state[1]:
            return
        previous = state
        page.wait_for_timeout(1000)


def _open(browser, lab, rel: str, n_cells: int) -> list[dict]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(lab) else r.abort())
    page.goto(lab + "lab/tree/" + rel + "?reset", wait_until="domcontentloaded")   # only this notebook open
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(
        f"document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell').length >= {n_cells}",
        timeout=60_000)
    _wait_until_rendered(page)
    cells = page.evaluate(INSPECT)
    if rel in SCREENSHOT_OF:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / ("jupyterlab__" + rel.replace("/", "__").replace(".ipynb", ".png"))))
    page.close()
    _shut_down_kernels(lab)
    return cells


@pytest.fixture(scope="module")
def rendered(lab, browser, notebooks_dir):
    """Open every notebook of both editions once; map ``edition/name`` to its rendered cells."""
    names = [f"full/{p.name}" for p in NOTEBOOKS] + \
            [f"student/{p.name}" for p in sorted((notebooks_dir / "student").glob("*.ipynb"))]
    opened = {}
    for rel in names:
        nb = nbformat.read(notebooks_dir / rel, as_version=4)
        opened[rel] = nb, _open(browser, lab, rel, len(nb.cells))
    return opened


def _problems(rendered, check) -> str:
    found = []
    for rel, (nb, cells) in rendered.items():
        assert len(cells) == len(nb.cells), f"{rel}: JupyterLab shows {len(cells)} cells, the file has {len(nb.cells)}"
        found += [f"{rel}: {problem}" for problem in check(nb, cells)]
    return "\n".join(found)


def test_both_editions_were_opened(rendered):
    assert sum(rel.startswith("full/") for rel in rendered) == len(NOTEBOOKS)
    assert sum(rel.startswith("student/") for rel in rendered) >= 4      # three labs and the assignment


def test_no_raw_markup_is_visible(rendered):
    def check(nb, cells):
        for i, cell in enumerate(cells):
            text = cell["rendered"] + "\n" + cell["outputs"]
            for raw in RAW:
                if raw in text:
                    yield f"cell {i} shows {raw!r}: ...{text[max(0, text.index(raw) - 40):text.index(raw) + 60]!r}..."
    problems = _problems(rendered, check)
    assert not problems, problems


def test_exercises_render_as_boxes(rendered):
    def check(nb, cells):
        for i, (source, cell) in enumerate(zip(nb.cells, cells)):
            expected = source.source.count(":::{exercise}")
            boxes = [e for e in cell["exercises"] if e.lstrip().startswith("Exercise")]
            if expected and len(boxes) < expected:
                yield f"cell {i} has {expected} exercise(s) but renders {len(boxes)} exercise box(es): {cell['exercises']}"
    problems = _problems(rendered, check)
    assert not problems, problems
    assert any(":::{exercise}" in c.source for nb, _ in rendered.values() for c in nb.cells)


def test_math_is_typeset(rendered):
    def check(nb, cells):
        for i, (source, cell) in enumerate(zip(nb.cells, cells)):
            if source.cell_type == "markdown" and "$" in source.source.replace("\\$", ""):
                if cell["math"] == 0:
                    yield f"cell {i} has math that was not typeset: {source.source[:80]!r}"
                if "$$" in cell["rendered"] or "\\begin{" in cell["rendered"]:
                    yield f"cell {i} shows raw TeX"
    problems = _problems(rendered, check)
    assert not problems, problems


def test_folded_cells_are_collapsed(rendered):
    """Setup and solutions are folded in the full edition; in the student edition, setup is
    folded and the cells the student writes in are open."""
    def check(nb, cells):
        for i, (source, cell) in enumerate(zip(nb.cells, cells)):
            folded = source.metadata.get("jupyter", {}).get("source_hidden", False)
            if folded and not cell["input_hidden"]:
                yield f"cell {i} should be collapsed: {source.source[:60]!r}"
            if not folded and cell["input_hidden"]:
                yield f"cell {i} is collapsed but should be open: {source.source[:60]!r}"
    problems = _problems(rendered, check)
    assert not problems, problems
    solutions = [(rel, c) for rel, (nb, cells) in rendered.items() if rel.startswith("full/")
                 for s, c in zip(nb.cells, cells) if "### BEGIN SOLUTION" in s.source]
    assert solutions and all(c["input_hidden"] for _, c in solutions)
    stubs = [c for rel, (nb, cells) in rendered.items() if rel.startswith("student/")
             for s, c in zip(nb.cells, cells) if "raise NotImplementedError()" in s.source]
    assert stubs and not any(c["input_hidden"] for c in stubs)


def test_screenshots_saved(rendered):
    for rel in SCREENSHOT_OF:
        shot = SCREENSHOTS / ("jupyterlab__" + rel.replace("/", "__").replace(".ipynb", ".png"))
        assert shot.exists() and shot.stat().st_size > 10_000, shot
