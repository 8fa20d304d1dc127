"""The strict book build: any Sphinx warning (a broken reference, a missing citation, a
notebook missing from the table of contents) fails the test."""

from conftest import HTML


def test_book_builds_without_warnings(book_build):
    code, log = book_build
    assert code == 0, f"the book build failed:\n{log[-6000:]}"
    assert "WARNING" not in log, f"the book build warned:\n{log[-6000:]}"
    assert (HTML / "index.html").exists()
