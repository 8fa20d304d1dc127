"""Fail if a pytest run skipped a test that CI must run (the browser tests), or ran none of it.

    python tools/check_skips.py test-results.xml browser [PATTERN ...]

The report is pytest's --junitxml output. A test must run if its module (the report's
classname, e.g. ``tests.test_browser``) contains one of the patterns. Other skips (the
chapters that are not handed out, nbgrader when it is absent) are listed but allowed.
"""

import sys
import xml.etree.ElementTree as ET


def read(report_path):
    """[(module, test name, skip message or None)] for every test case in the report."""
    root = ET.parse(report_path).getroot()
    cases = []
    for case in root.iter("testcase"):
        skip = case.find("skipped")
        message = None if skip is None else (skip.get("message") or "skipped").strip()
        cases.append((case.get("classname") or "", case.get("name") or "", message))
    return cases


def problems(cases, patterns):
    """The lines to print for tests that had to run and did not; empty when all is well."""
    out = []
    for pattern in patterns:
        matching = [c for c in cases if pattern in c[0]]
        if not matching:
            out.append(f"no test whose module contains {pattern!r} is in the report")
        out += [f"{module}::{name} was skipped: {message}"
                for module, name, message in matching if message is not None]
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cases = read(argv[0])
    found = problems(cases, argv[1:])
    allowed = sum(1 for c in cases if c[2] is not None) - sum(" was skipped: " in f for f in found)
    if found:
        print("error: CI must run these tests, and did not:", file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        return 1
    ran = sum(1 for c in cases if c[2] is None and any(p in c[0] for p in argv[1:]))
    print(f"{len(cases)} tests in the report; {ran} must-run tests ({', '.join(argv[1:])}) all "
          f"ran; {allowed} other skips allowed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
