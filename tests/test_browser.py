"""The built book in a real browser: headless Chromium (Debian's package) driven by Playwright.

The site is served from ``_build/html`` on localhost and every page is opened once, with
every request to another host blocked, so the checks also prove that the book works
offline. The crawl records what a reader would run into (console errors, failed requests,
broken images, untypeset math, dead links); each test below asserts one kind of problem away
and prints every instance it found. Screenshots of three pages are saved for review under
``_build/screenshots``.
"""

import functools
import http.server
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import CHROMIUM, HTML, NO_BROWSER, SCREENSHOTS
REVIEW_PAGES = ["intro.html", "chapters/03_ngrams_vs_sequence_models.html",
                "chapters/12_training_language_models.html", "appendix/notation.html"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=f"the browser test cannot run: {NO_BROWSER}")

# Runs in the page once it has loaded: waits for MathJax, forces lazy images to load, then
# reports what a reader would see.
INSPECT = """async () => {
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
  const broken = await Promise.all(Array.from(document.images).map(img => {
    img.loading = "eager";
    return img.decode().then(() => (img.naturalWidth > 0 ? null : img.src), () => img.src);
  }));
  const math = Array.from(document.querySelectorAll(".math"));
  const raw = [];
  const article = document.querySelector("article") || document.body;
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest("pre, code, script, style, mjx-container, .highlight")) continue;
    if (/\\$\\$|\\\\begin\\{/.test(node.textContent)) raw.push(node.textContent.trim().slice(0, 80));
  }
  return {
    images: document.images.length,
    broken: broken.filter(Boolean),
    math: math.length,
    untypeset: math.filter(m => !m.querySelector("mjx-container")).map(m => m.textContent.slice(0, 60)),
    raw_tex: raw,
    links: Array.from(document.querySelectorAll("a[href]")).map(a => a.href),
  };
}"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def book_pages() -> list[str]:
    """Every page of the book, as paths relative to the site root."""
    pages = []
    for path in sorted(HTML.rglob("*.html")):
        rel = path.relative_to(HTML).as_posix()
        if rel.split("/")[0].startswith("_") or rel in ("search.html", "genindex.html"):
            continue
        pages.append(rel)
    return pages


@pytest.fixture(scope="module")
def site(book_build):
    code, log = book_build
    assert code == 0, f"the book did not build:\n{log[-3000:]}"
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def _visit(browser, url: str, screenshot: Path | None = None) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = {"console": [], "failed": [], "external": []}
    host = urlparse(url).netloc

    def route(r):
        if urlparse(r.request.url).netloc in (host, ""):
            r.continue_()
        else:  # the book must not need the network
            problems["external"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and problems["console"].append(m.text))
    page.on("pageerror", lambda e: problems["console"].append(str(e)))
    page.on("requestfailed", lambda r: problems["failed"].append(f"{r.url} ({r.failure})")
            if urlparse(r.url).netloc == host else None)
    page.on("response", lambda r: r.status >= 400 and problems["failed"].append(f"{r.url} ({r.status})"))
    page.goto(url, wait_until="networkidle")
    report = page.evaluate(INSPECT)
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return {**report, **problems}


@pytest.fixture(scope="module")
def crawl(site, browser) -> dict[str, dict]:
    """Visit every page once; map its path to what the visit found."""
    pages = book_pages()
    assert "chapters/03_ngrams_vs_sequence_models.html" in pages, pages
    results = {}
    for rel in pages:
        shot = SCREENSHOTS / (rel.replace("/", "__").replace(".html", ".png")) if rel in REVIEW_PAGES else None
        results[rel] = _visit(browser, site + rel, shot)
    return results


def _report(crawl, key) -> str:
    return "\n".join(f"{page}: {item}" for page, r in crawl.items() for item in r[key])


def test_no_console_errors(crawl):
    assert not _report(crawl, "console"), _report(crawl, "console")


def test_no_failed_requests(crawl):
    assert not _report(crawl, "failed"), _report(crawl, "failed")


def test_works_offline(crawl):
    assert not _report(crawl, "external"), "pages asked for other hosts:\n" + _report(crawl, "external")


def test_every_image_loads(crawl):
    assert not _report(crawl, "broken"), _report(crawl, "broken")
    chapter = crawl["chapters/03_ngrams_vs_sequence_models.html"]
    assert chapter["images"] >= 4, "the n-gram chapter should show its figures"


def test_math_is_typeset(crawl):
    assert not _report(crawl, "untypeset"), "math MathJax did not typeset:\n" + _report(crawl, "untypeset")
    assert not _report(crawl, "raw_tex"), "raw TeX left in the text:\n" + _report(crawl, "raw_tex")
    assert crawl["chapters/03_ngrams_vs_sequence_models.html"]["math"] > 20


def _ids(path: Path, cache={}) -> set[str]:
    if path not in cache:
        cache[path] = set(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8")))
    return cache[path]


def test_internal_links_and_anchors_resolve(crawl, site):
    dead = []
    for page, result in crawl.items():
        for link in result["links"]:
            if not link.startswith(site):
                continue
            parsed = urlparse(link)
            target = HTML / unquote(parsed.path[len(urlparse(site).path):])
            if parsed.path.endswith("/"):
                target = target / "index.html"
            if not target.exists():
                dead.append(f"{page}: {link} (no such file)")
            elif parsed.fragment and target.suffix == ".html" and unquote(parsed.fragment) not in _ids(target):
                dead.append(f"{page}: {link} (no anchor #{parsed.fragment})")
    assert not dead, "\n".join(dead)


def test_search_finds_perplexity(site, browser):
    page = browser.new_page()
    page.goto(site + "search.html?q=perplexity", wait_until="networkidle")
    page.wait_for_selector("#search-results li", timeout=15000)
    hits = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.href)")
    page.close()
    assert any("03_ngrams_vs_sequence_models" in h for h in hits), hits


def test_screenshots_saved_for_review(crawl):
    for rel in REVIEW_PAGES:
        shot = SCREENSHOTS / rel.replace("/", "__").replace(".html", ".png")
        assert shot.exists() and shot.stat().st_size > 10_000, shot
