"""Check that a Python interpreter can host the book's environment; say why not in one line.

    python3 tools/check_python.py      # exit 0, or 1 with one line on stderr
    python3 tools/check_python.py --versions    # the supported versions: 3.11 3.12 ...

`make` runs this (through tools/setup_env.py) before it creates `.venv`. It is written to run
on any Python 3, so that an old interpreter gets this message and not a syntax error.
"""

import os
import sys

#: The versions the lock is resolved for and CI tests (oldest, newest).
SUPPORTED = ((3, 11), (3, 14))


def _name(version):
    return "{}.{}".format(*version)


def supported_range():
    """"3.11 to 3.14"."""
    return "{} to {}".format(_name(SUPPORTED[0]), _name(SUPPORTED[1]))


def is_debian_like():
    return os.path.exists("/etc/debian_version")


def how_to_get(version):
    """The command that installs Python ``version`` with venv support, for this system."""
    name = _name(version)
    if sys.platform == "darwin":
        return "brew install python@{0}".format(name)
    if is_debian_like():
        return "sudo apt-get install python{0} python{0}-venv (or: uv python install {0})".format(name)
    return "install Python {0} from your system's packages, python.org or `uv python install {0}`".format(name)


def version_problem(version, executable):
    """One line saying why ``version`` is not supported, or None if it is."""
    if SUPPORTED[0] <= tuple(version[:2]) <= SUPPORTED[1]:
        return None
    newest = SUPPORTED[1]
    return ("error: the book's environment needs Python {}, but {} is Python {}. "
            "Get one with `{}` and run `make PYTHON=python{}`.").format(
                supported_range(), executable, ".".join(map(str, version[:3])),
                how_to_get(newest), _name(newest))


def venv_problem(version, executable, import_module=None):
    """One line saying what this interpreter lacks to create a venv, or None."""
    if import_module is None:
        import importlib
        import_module = importlib.import_module
    for module in ("venv", "ensurepip"):
        try:
            import_module(module)
        except ImportError:
            name = _name(version)
            if is_debian_like():
                fix = "sudo apt-get install python{}-venv".format(name)
            else:
                fix = "reinstall Python {} with its standard library ({} is part of it)".format(name, module)
            return ("error: {} (Python {}) cannot create a virtual environment: its `{}` module "
                    "is missing. Fix: {}").format(executable, name, module, fix)
    return None


def problem():
    """The first problem of the running interpreter, or None."""
    return (version_problem(sys.version_info, sys.executable)
            or venv_problem(sys.version_info, sys.executable))


def versions():
    """["3.11", "3.12", ...]: every supported minor version."""
    return ["3.{}".format(minor) for minor in range(SUPPORTED[0][1], SUPPORTED[1][1] + 1)]


def main():
    if sys.argv[1:] == ["--versions"]:
        print(" ".join(versions()))
        return 0
    message = problem()
    if message:
        sys.stderr.write(message + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
