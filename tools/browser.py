"""Find the Chromium-based browser the browser tests drive, install one, or say how.

    python tools/browser.py             # print the browser found, or why there is none
    python tools/browser.py --install   # make browser: install one where this can be done

The tests use :func:`find`. The order: the ``CHROMIUM`` environment variable (a path to
any Chromium-based browser Playwright can drive: Chromium, Google Chrome, Microsoft Edge,
Brave), then those browsers on the PATH and in macOS's /Applications, then a Chromium that
Playwright downloaded itself (``python -m playwright install chromium``).
"""

import argparse
import glob
import os
import platform
import shutil
import subprocess
import sys

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
         "microsoft-edge", "microsoft-edge-stable", "brave-browser")
MAC_APPS = ("/Applications/Chromium.app/Contents/MacOS/Chromium",
            "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
            "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
            "/Applications/Brave Browser.app/Contents/MacOS/Brave Browser")
PLAYWRIGHT_CACHE = ("~/.cache/ms-playwright/chromium-*/chrome-linux*/chrome",
                    "~/Library/Caches/ms-playwright/chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium")


def _executable(path):
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


def find(environ=None, which=shutil.which, exists=_executable):
    """``(path, None)`` for the browser to use, or ``(None, reason)`` saying why there is none."""
    environ = os.environ if environ is None else environ
    chosen = environ.get("CHROMIUM")
    if chosen:
        path = which(chosen) if os.sep not in chosen else chosen
        if path and exists(path):
            return path, None
        return None, (f"CHROMIUM={chosen} is not an executable file: point it at a "
                      "Chromium-based browser (Chromium, Chrome, Edge, Brave)")
    for name in NAMES:
        path = which(name)
        if path and exists(path):
            return path, None
    for path in MAC_APPS:
        if exists(path):
            return path, None
    for pattern in PLAYWRIGHT_CACHE:
        for path in sorted(glob.glob(os.path.expanduser(pattern)), reverse=True):
            if exists(path):
                return path, None
    return None, (f"no Chromium-based browser found (CHROMIUM is not set; none of "
                  f"{', '.join(NAMES)} is on the PATH). {install_advice()}")


def _os_release():
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            pairs = (line.rstrip("\n").split("=", 1) for line in f if "=" in line)
            return {key: value.strip('"') for key, value in pairs}
    except OSError:
        return {}


def install_command(system=None, release=None, is_root=None):
    """The command that installs Chromium here (a list), or None if there is no such one."""
    system = system or platform.system()
    if system == "Darwin":
        return ["brew", "install", "--cask", "chromium"]
    if system != "Linux":
        return None
    release = _os_release() if release is None else release
    ids = {release.get("ID", "")} | set(release.get("ID_LIKE", "").split())
    is_root = (os.geteuid() == 0) if is_root is None else is_root
    sudo = [] if is_root else ["sudo"]
    if "ubuntu" in ids:
        return sudo + ["snap", "install", "chromium"]   # Ubuntu's chromium package is a snap
    if "debian" in ids:
        return sudo + ["apt-get", "install", "-y", "chromium"]
    if ids & {"fedora", "rhel", "centos"}:
        return sudo + ["dnf", "install", "-y", "chromium"]
    if "arch" in ids:
        return sudo + ["pacman", "-S", "--noconfirm", "chromium"]
    if ids & {"opensuse", "suse"}:
        return sudo + ["zypper", "install", "-y", "chromium"]
    return None


def install_advice():
    command = install_command()
    if command is None:
        return ("Install Chromium or Google Chrome, or run `.venv/bin/python -m playwright "
                "install chromium`, or set CHROMIUM=/path/to/browser; then run make test.")
    return (f"Install one with `{' '.join(command)}` (or set CHROMIUM=/path/to/browser), "
            "then run make test.")


def version(path):
    try:
        result = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, str(error)
    out = (result.stdout or result.stderr).strip()
    return (out, None) if result.returncode == 0 else (None, out.splitlines()[-1] if out else
                                                       f"exit {result.returncode}")


def install():
    """Install Chromium if this process can (as root, on Debian); return a problem or None."""
    command = install_command()
    if not command or command[0] == "sudo" or command[0] != "apt-get":
        return "cannot install it from here"
    for step in (["apt-get", "update", "-qq"], command):
        result = subprocess.run(step, capture_output=True, text=True,
                                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            return f"`{' '.join(step)}` failed: {lines[-1] if lines else result.returncode}"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--install", action="store_true", help="install Chromium if possible")
    args = parser.parse_args(argv)
    path, reason = find()
    if path is None and args.install and install_command() and install_command()[0] == "apt-get":
        print("Installing Debian's chromium for the browser tests (apt-get) ...")
        problem = install()
        path, reason = find()
        if problem:
            reason = f"{problem}. {install_advice()}"
    if path is not None:
        found, problem = version(path)
        if found:
            print(f"Browser for the tests: {path} ({found})")
            return 0
        reason = f"{path} does not start ({problem}); set CHROMIUM to another browser"
    in_ci = bool(os.environ.get("CI"))
    print(f"{'error' if in_ci else 'note'}: {reason}"
          + ("" if in_ci else " Until then the browser tests are skipped."), file=sys.stderr)
    return 1 if in_ci else 0


if __name__ == "__main__":
    sys.exit(main())
