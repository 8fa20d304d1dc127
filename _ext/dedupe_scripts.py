"""Drop repeated inline <script> blocks from every page.

sphinx-thebe (loaded by Jupyter Book) registers its inline configuration script in a way
that Sphinx 7 emits twice; the second copy re-declares a ``const`` and the browser logs
"Identifier 'THEBE_JS_URL' has already been declared" on every page. Sphinx already
de-duplicates script *files*; this does the same for inline bodies.
"""


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        body = getattr(script, "attributes", {}).get("body")
        if body and body in seen:
            continue
        seen.add(body)
        kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
