"""Create or update `.venv`, the book's environment, from the lock files; atomically.

    python3 tools/setup_env.py          # book + tests: requirements.txt, then rnnlib (editable)
    python3 tools/setup_env.py --lab    # also requirements-lab.txt (JupyterLab, MyST, nbdime)

Every `make` target runs this first. When `.venv` is up to date it only checks that the
environment's Python starts, and returns in a fraction of a second.

A new environment is built in its own folder, `.venvs/py3.X-<hash of requirements.txt>`,
and `.venv` is switched to it (a symbolic link, replaced in one rename) only when pip has
installed everything and `pip check` is clean. A set-up that fails halfway therefore leaves
`.venv` as it was, and the next run starts that folder afresh. (The folder itself cannot be
built elsewhere and moved: pip writes its absolute path into every script it installs.)

Every failure ends with one line that starts with "error:" and says what to do.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import check_python  # noqa: E402  (runs on any Python 3: keep it importable first)

MARKER = ".complete"    # JSON: what the environment was built from, written last
LAB_MARKER = ".lab-complete"


class SetupError(Exception):
    """A failure whose message is the one line shown to the user."""


def digest(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError as error:
        raise SetupError("cannot read {}: {}".format(path, error.strerror))


def read_marker(env, name=MARKER):
    try:
        with open(os.path.join(env, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write_marker(env, name, content):
    tmp = os.path.join(env, name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(content, f, indent=1, sort_keys=True)
    os.replace(tmp, os.path.join(env, name))


def run(cmd, what, env_dir):
    """Run ``cmd``; on failure show its output and raise a one-line SetupError."""
    result = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:])
        raise SetupError("{} failed (output above); {} is incomplete and .venv was left as it "
                         "was: fix the cause and run make again".format(what, env_dir))
    return result.stdout


def python_works(python):
    """None if ``python`` starts and has pip, else what is wrong with it."""
    if not os.path.exists(python):
        return "{} does not exist".format(python)
    try:
        result = subprocess.run([python, "-c", "import pip, sys; print(sys.version_info[:2])"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                universal_newlines=True, timeout=120)
    except OSError as error:
        return "{} does not start ({})".format(python, error)
    if result.returncode != 0:
        lines = result.stdout.strip().splitlines()
        return "{} fails: {}".format(python, lines[-1] if lines else "exit {}".format(result.returncode))
    return None


def venv_link(root):
    return os.path.join(root, ".venv")


def current_env(root):
    """The folder `.venv` points to, whether it is whole, and why not."""
    link = venv_link(root)
    if not os.path.lexists(link):
        return None, "there is no .venv yet"
    if not os.path.islink(link):
        marker = read_marker(link)
        if marker is None:
            problem = python_works(os.path.join(link, "bin", "python"))
            return link, ".venv was left incomplete by an earlier set-up ({})".format(
                problem or "it has no completion marker")
        return link, None
    target = os.path.realpath(link)
    if not os.path.isdir(target):
        return target, ".venv points to {}, which no longer exists".format(target)
    if read_marker(target) is None:
        return target, ".venv points to an incomplete environment"
    problem = python_works(os.path.join(target, "bin", "python"))
    if problem:
        return target, ".venv is broken: " + problem
    return target, None


def switch(root, target):
    """Point `.venv` at ``target`` in one rename."""
    link = venv_link(root)
    tmp = link + ".new"
    if os.path.lexists(tmp):
        os.remove(tmp)
    os.symlink(os.path.relpath(target, root), tmp)
    if os.path.isdir(link) and not os.path.islink(link):
        shutil.rmtree(link)         # an old real folder: a link cannot replace it in one step
    os.replace(tmp, link)


def prune(root, keep):
    """Remove the environments `.venv` no longer uses."""
    envs = os.path.join(root, ".venvs")
    for name in os.listdir(envs):
        path = os.path.join(envs, name)
        if os.path.realpath(path) != os.path.realpath(keep):
            shutil.rmtree(path, ignore_errors=True)


def build(root, python, want):
    """Build a new environment for the locks in ``want``; return its folder."""
    problem = check_python.problem()
    if problem:
        raise SetupError(problem)
    version = "py{}.{}".format(*sys.version_info[:2])
    target = os.path.join(root, ".venvs", "{}-{}".format(version, want["requirements.txt"][:12]))
    if os.path.exists(target):
        shutil.rmtree(target)       # what an interrupted set-up left behind
    os.makedirs(os.path.dirname(target), exist_ok=True)
    print("Creating {} with {} (Python {}) ...".format(os.path.relpath(target, root), python,
                                                        ".".join(map(str, sys.version_info[:3]))))
    result = subprocess.run([python, "-m", "venv", target], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True)
    if result.returncode != 0:
        lines = [line for line in result.stdout.strip().splitlines() if line.strip()]
        detail = lines[-1] if lines else "exit {}".format(result.returncode)
        if "ensurepip" in result.stdout:
            detail = ("ensurepip is missing (on Debian or Ubuntu: sudo apt-get install "
                      "python{}.{}-venv)".format(*sys.version_info[:2]))
        raise SetupError("cannot create a virtual environment with {}: {}".format(python, detail))
    pip = [os.path.join(target, "bin", "python"), "-m", "pip", "--disable-pip-version-check"]
    print("Installing the pinned packages of requirements.txt (a few minutes the first time) ...")
    run(pip + ["install", "--quiet", "--require-hashes", "-r", "requirements.txt"],
        "installing requirements.txt", os.path.relpath(target, root))
    install_project(pip, target, root)
    check(pip, target, root)
    write_marker(target, MARKER, dict(want, python=".".join(map(str, sys.version_info[:3]))))
    return target


def install_project(pip, target, root):
    # setuptools and wheel come from the lock, so the editable install needs no download.
    run(pip + ["install", "--quiet", "--no-build-isolation", "--no-deps", "-e", "."],
        "installing rnnlib", os.path.relpath(target, root))


def check(pip, target, root):
    run(pip + ["check"], "pip check", os.path.relpath(target, root))


def lab(root, target, lab_hash):
    pip = [os.path.join(target, "bin", "python"), "-m", "pip", "--disable-pip-version-check"]
    print("Installing the pinned packages of requirements-lab.txt (JupyterLab) ...")
    run(pip + ["install", "--quiet", "--require-hashes", "-r", "requirements-lab.txt"],
        "installing requirements-lab.txt", os.path.relpath(target, root))
    check(pip, target, root)
    write_marker(target, LAB_MARKER, {"requirements-lab.txt": lab_hash})


def setup(root, python, with_lab=False, same_python=False):
    want = {"requirements.txt": digest(os.path.join(root, "requirements.txt")),
            "pyproject.toml": digest(os.path.join(root, "pyproject.toml"))}
    target, problem = current_env(root)
    have = read_marker(target) if target and not problem else None
    if problem and target is not None:
        print("note: {}; building it again".format(problem))
    running = "{}.{}".format(*sys.version_info[:2])
    if same_python and have and have.get("python", "").rsplit(".", 1)[0] != running:
        print("note: .venv uses Python {}; building it with Python {} as asked".format(
            have.get("python"), running))
        have = None
    if have is None or have.get("requirements.txt") != want["requirements.txt"]:
        target = build(root, python, want)
        switch(root, target)
        prune(root, target)
    elif have.get("pyproject.toml") != want["pyproject.toml"]:
        pip = [os.path.join(target, "bin", "python"), "-m", "pip", "--disable-pip-version-check"]
        install_project(pip, target, root)
        check(pip, target, root)
        write_marker(target, MARKER, dict(have, **{"pyproject.toml": want["pyproject.toml"]}))
    if with_lab:
        lab_hash = digest(os.path.join(root, "requirements-lab.txt"))
        if (read_marker(target, LAB_MARKER) or {}).get("requirements-lab.txt") != lab_hash:
            lab(root, target, lab_hash)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", action="store_true", help="also install requirements-lab.txt")
    parser.add_argument("--same-python", action="store_true",
                        help="rebuild .venv if it was built with another Python version "
                             "(make passes it when PYTHON is given)")
    parser.add_argument("--root", default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        setup(os.path.abspath(args.root), sys.executable, with_lab=args.lab,
              same_python=args.same_python)
    except SetupError as error:
        sys.stderr.write("error: {}\n".format(error).replace("error: error: ", "error: "))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
