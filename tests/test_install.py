"""The Colab path, offline: a fresh virtual environment with only what Colab has preinstalled
(numpy, matplotlib, tqdm), the notebooks' own install cell run as if on Colab against a local
clone of the repository at the release tag, then chapter 12's cells that read the trained
models, compared with their stored outputs.

This proves that the install cell installs a fixed release, that the release carries the data
packages and the trained models (package data, found by ``rnnlib.book.models_dir``), and that
a chapter runs from it with no checkout beside it.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from rnnlib import book

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "12_training_language_models.ipynb"
PREINSTALLED = ("numpy", "matplotlib", "tqdm")      # on Colab before any install cell runs

pytestmark = pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                                reason="needs git and the repository's history to clone it")


def pinned(name: str) -> str:
    """``name==version`` as requirements.txt pins it, so the venv installs from the same files."""
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    match = re.search(rf"^({re.escape(name)}==\S+)", text, flags=re.M | re.I)
    assert match, f"{name} is not pinned in requirements.txt"
    return match.group(1)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def stdout_of(cell) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A clone of the committed repository with the release tag on its HEAD: what
    ``git+<REPOSITORY>@<RELEASE>`` fetches once the release is published."""
    target = tmp_path_factory.mktemp("repo") / "sequence-models-book"
    subprocess.run(["git", "clone", "--quiet", "--no-local", str(ROOT), str(target)], check=True)
    subprocess.run(["git", "-C", str(target), "tag", "-f", book.RELEASE], check=True, capture_output=True)
    return target


@pytest.fixture(scope="module")
def colab_python(tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("colab") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    *map(pinned, PREINSTALLED)], check=True)
    return python


@pytest.mark.slow
def test_the_install_cell_installs_the_release_and_chapter_12_loads_its_models(clone, colab_python, tmp_path):
    nb = nbformat.read(CHAPTER, as_version=4)
    cells = code_cells(nb)
    install = cells[0].source
    url = f"git+{book.REPOSITORY}@{book.RELEASE}"
    assert url in install
    # The same cell, pointed at the local clone instead of the published repository.
    install = install.replace(url, f"git+file://{clone}@{book.RELEASE}")
    readers = [c for c in cells if "MODELS /" in c.source and "load_model" not in c.source]
    assert len(readers) >= 2, "chapter 12 no longer reads its models as this test expects"
    script = "\n\n".join([
        "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')   # as on Colab",
        "import matplotlib\nmatplotlib.use('Agg')",
        install,
        "import importlib.util\nassert importlib.util.find_spec('rnnlib') is not None, 'rnnlib was not installed'",
        cells[1].source,
        *(c.source for c in readers),
        textwrap.dedent("""
            from pathlib import Path
            import rnnlib
            from rnnlib.params import count_params
            assert Path(MODELS).is_relative_to(Path(rnnlib.__file__).parent), MODELS
            for name in names:
                params, config, vocab, _ = load_model(MODELS / name, dtype="float32")
                assert count_params(params) == meta[name]["extra"]["n_params"], name
            print("loaded", len(names), "models from", "site-packages" if "site-packages" in str(MODELS) else MODELS)
        """),
    ])
    run = subprocess.run([str(colab_python), "-c", script], capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg"}, timeout=900)
    assert run.returncode == 0, f"the Colab path failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    for cell in readers:
        assert stdout_of(cell) in run.stdout, f"chapter 12's cell printed something else on the Colab path:\n{cell.source[:80]}"
    assert "loaded 8 models from site-packages" in run.stdout, run.stdout[-2000:]


@pytest.mark.slow
def test_a_plain_install_imports_every_module_and_coursework_names_its_extra(clone, tmp_path):
    """``pip install rnnlib`` (numpy, matplotlib, tqdm and nothing else) imports every module
    a learner uses; the instructor's ``rnnlib.coursework`` says which extra it needs, and
    imports once that extra is installed."""
    venv = tmp_path / "plain"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pins = tmp_path / "pins.txt"        # the lock's versions, without hashes, as constraints
    pins.write_text("\n".join(re.findall(r"^(\S+==\S+)", (ROOT / "requirements.txt").read_text(),
                                         flags=re.M)), encoding="utf-8")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", str(pins)]
    env = {**os.environ, "PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg"}
    subprocess.run(pip + [str(clone)], check=True, env=env, timeout=900)
    listing = subprocess.run([python, "-m", "pip", "list", "--format=freeze"], capture_output=True,
                             text=True, check=True, env=env).stdout.lower()
    assert "nbformat==" not in listing and "ipython==" not in listing, listing
    script = textwrap.dedent("""
        import importlib, pkgutil, rnnlib
        names = [m.name for m in pkgutil.walk_packages(rnnlib.__path__, "rnnlib.")
                 if not m.name.startswith("rnnlib.coursework")]
        for name in names:
            importlib.import_module(name)
        print("imported", len(names), "modules")
        try:
            import rnnlib.coursework
        except ImportError as error:
            print("coursework:", error)
    """)
    run = subprocess.run([python, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                         env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert re.search(r"imported (\d+) modules", run.stdout) and "rnnlib.checks" not in run.stderr
    assert int(re.search(r"imported (\d+) modules", run.stdout).group(1)) >= 20, run.stdout
    assert 'pip install "rnnlib[coursework]"' in run.stdout, run.stdout
    subprocess.run(pip + [f"{clone}[coursework]"], check=True, env=env, timeout=900)
    run = subprocess.run([python, "-c", "import rnnlib.coursework.grade, rnnlib.coursework.release; "
                          "print('coursework imports')"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=300)
    assert run.returncode == 0 and "coursework imports" in run.stdout, run.stderr[-3000:]
