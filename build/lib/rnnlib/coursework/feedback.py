"""Feedback a student can act on, in Markdown, from the grading results.

A failed visible check is reported with the checker's own message (the one the student
sees in the notebook). A failed *hidden* check is reported by what went wrong in general
terms and by the instructor's ``# feedback:`` line if there is one: never with its code,
its message or the values it expected (unless the instructor asks for the messages with
``--show-hidden-messages``).
"""

from __future__ import annotations

GENERIC_HIDDEN = ("a hidden check failed: your code passes the visible checks but gives a "
                  "wrong result on another case. Try your function on other inputs (other "
                  "shapes and sizes, edge cases) and compare with the exercise's definition.")


def _names(entry) -> str:
    return ", ".join(f"`{n}`" for n in entry.get("names") or [entry["grade_id"]])


def case_message(case: dict, entry: dict, options: dict, show_hidden: bool = False) -> str:
    """One sentence (or two) about a case that did not pass."""
    status, hidden = case.get("status"), case.get("hidden")
    names = entry.get("names") or [entry["grade_id"]]
    hint = case.get("hint")
    message = (case.get("message") or "").strip()
    where = "a hidden check" if hidden else f"the check `{case.get('label', '')}`"
    if status == "not_implemented" or (status == "failed" and not hidden
                                       and "is not implemented yet" in message):
        return (f"{_names(entry)} is not implemented yet: replace the "
                "`raise NotImplementedError()` line with your code.")
    if status == "error" and case.get("ename") == "NameError" and case.get("name") in names:
        text = (f"`{case['name']}` is not defined when the checks run. Keep the name and the "
                "parameters the exercise gives it, in the exercise's cell")
        anchor = entry.get("anchor") or {}
        if anchor.get("error"):
            return (text + f"; the cell that defines it (code cell {anchor['cell']}) stopped "
                    f"with {anchor['error']}. Fix that error first.")
        if anchor.get("status") == "timeout":
            return text + f"; the cell that defines it (code cell {anchor['cell']}) ran too long."
        return text + ": did you rename or delete the function or its cell?"
    if status == "foreign":
        return (f"`{case.get('name')}` is `{message}` from a library, not a function you wrote: "
                "write your own in the exercise's cell.")
    if status == "timeout":
        return (f"{where} took longer than {options.get('cell_timeout', 60):g} s and was "
                "stopped: is there a loop that never ends, or a much slower method than needed?")
    if status == "exit":
        return (f"your code called `sys.exit()` or `exit()` during {where}: remove that call; "
                "it would stop the whole notebook.")
    if status == "memory":
        limit = options.get("memory_mb")
        return (f"{where} ran out of memory" + (f" (the limit is {limit} MB)" if limit else "")
                + ": does your code build an array far larger than it needs?")
    if status == "died":
        return (f"the Python kernel stopped during {where} (`os._exit`, a crash, or too much "
                "memory); the grader restarted it.")
    if status == "not_run":
        return f"{where} was not run (see the notes below)."
    if hidden:
        text = f"a hidden check failed: {hint}" if hint else GENERIC_HIDDEN
        if status == "error":
            text += f" (your code raised {case.get('ename', 'an error')})"
        if show_hidden and message:
            text += f" Message: {message}"
        return text
    if status == "failed":
        return f"{where} failed: {message}" if message else f"{where} failed."
    return f"{where} raised {case.get('ename', 'an error')}: {message}"


def _points(x) -> str:
    return f"{x:g}"


def render_notebook(result: dict, show_hidden_messages: bool = False) -> str:
    options = result.get("options", {})
    lines = [f"## {result['notebook']}: {_points(result['total'])} / "
             f"{_points(result['max_total'])} points", ""]
    if result.get("status") == "unreadable":
        lines += [p for p in result.get("problems", [])] + ["", "Nothing could be graded; "
                  "submit the .ipynb file as Jupyter saved it.", ""]
        return "\n".join(lines)
    lines += ["| exercise | points | checks passed |", "|---|---:|---:|"]
    for e in result["exercises"]:
        passed = sum(c["status"] == "passed" for c in e["cases"])
        title = f"`{e['grade_id']}`" + (f" ({e['label']})" if e.get("label") else "")
        lines.append(f"| {title} | {_points(e['points'])} / {_points(e['max_points'])} | "
                     f"{passed} of {len(e['cases'])} |")
    lines.append("")
    for e in result["exercises"]:
        failed = [c for c in e["cases"] if c["status"] != "passed"]
        if not e["cases"]:
            lines += [f"### `{e['grade_id']}`", "", "This exercise has no automatic checks.", ""]
            continue
        if not failed:
            continue
        lines += [f"### `{e['grade_id']}`: {_points(e['points'])} / {_points(e['max_points'])}", ""]
        seen: dict[str, int] = {}
        for c in failed:
            text = case_message(c, e, options, show_hidden_messages)
            seen[text] = seen.get(text, 0) + 1
        for text, n in seen.items():
            lines.append(f"- {text}" + (f" ({n} checks)" if n > 1 else ""))
        lines.append("")
    cells = result.get("cells", [])
    if cells:
        lines += ["### Cells that did not run cleanly", ""]
        for c in cells[:10]:
            error = f"{c.get('ename')}: {c.get('evalue')}" if c.get("evalue") else c.get("ename")
            what = {"error": f"stopped with {error}",
                    "timeout": f"ran longer than {options.get('cell_timeout', 60):g} s and was stopped",
                    "died": "stopped the Python kernel; the grader restarted it and went on",
                    "not_run": "was not run"}.get(c["status"], c["status"])
            lines.append(f"- code cell {c['cell']} (`{c['first_line']}`): {what}")
        if len(cells) > 10:
            lines.append(f"- and {len(cells) - 10} more")
        lines.append("")
    if result.get("problems"):
        lines += ["### Notes", ""] + [f"- {p}" for p in result["problems"]] + [""]
    return "\n".join(lines)


def render(student: str, results: list[dict], show_hidden_messages: bool = False) -> str:
    """The feedback file of one student: one section per graded notebook."""
    total = sum(r["total"] for r in results)
    most = sum(r["max_total"] for r in results)
    parts = [f"# Feedback for {student}", "",
             f"Total: {_points(round(total, 2))} / {_points(round(most, 2))} points. Each "
             "exercise's points are shared equally among its checks; the notebook was run "
             "from top to bottom in a fresh kernel, and each exercise was checked right after "
             "the cell that defines its function.", ""]
    for r in sorted(results, key=lambda r: r["notebook"]):
        parts.append(render_notebook(r, show_hidden_messages))
    return "\n".join(parts).rstrip() + "\n"
