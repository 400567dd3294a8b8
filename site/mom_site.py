"""Sphinx glue for the book's website (loaded through ``sphinx.local_extensions`` in _config.yml).

* Start the theme in ``auto`` colour mode: with no mode stored yet, the theme otherwise logs
  "Got invalid theme mode" as a console error on a reader's first visit.
* Drop repeated script entries: Jupyter Book 1 registers sphinx-thebe's inline configuration
  twice, and the second copy fails with "Identifier 'THEBE_JS_URL' has already been declared".
* Let the single-page builder (``make pdf``) draw every node the HTML builder draws: an extension
  that registers node handlers for ``singlehtml`` stops Sphinx from falling back to the ``html``
  ones, so myst-nb's hidden-input cells would fail with "unknown node type: HideCodeCellNode".
"""

from __future__ import annotations

from typing import Any


def _page_context(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if not context.get("default_mode"):
        context["default_mode"] = "auto"
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        key = (getattr(js, "filename", None) or "", repr(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    scripts[:] = kept


def _builder_inited(app: Any) -> None:
    handlers = app.registry.translation_handlers
    if app.builder.name != "html" and app.builder.name in handlers:
        for node, visitors in handlers.get("html", {}).items():
            handlers[app.builder.name].setdefault(node, visitors)


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _builder_inited)
    app.connect("html-page-context", _page_context, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
