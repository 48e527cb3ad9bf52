"""Render the statement model as an HTML fragment (for the page) and as Markdown."""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from ombud import i18n
from ombud.datamap.schemas import DataMap
from ombud.i18n import gettext as _
from ombud.notices.blocks import (
    Address,
    Custom,
    Items,
    Link,
    Para,
    Statement,
    Subheading,
    Table,
    Text,
)
from ombud.notices.collection import notice_at_collection
from ombud.notices.context import Context
from ombud.notices.sections import build_statement
from ombud.web.render import TEMPLATE_DIR, render


def _markdown_it() -> MarkdownIt:
    # Raw HTML off: the organization's text is Markdown, never markup that could break the page.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def custom_html(markdown: str) -> Markup:
    """The organization's Markdown as HTML, headings moved below the section heading."""
    md = _markdown_it()
    tokens = md.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 2)}"
    return Markup(md.renderer.render(tokens, md.options, {}))


def inline_html(run: Text) -> Markup:
    """An inline run as escaped HTML with links."""
    out = Markup("")
    for part in run:
        if isinstance(part, Link):
            out += Markup('<a href="{}">{}</a>').format(part.href, part.text)
        else:
            out += escape(part)
    return out


def _block_view(block: object) -> dict[str, Any]:
    if isinstance(block, Para):
        return {"kind": "para", "html": inline_html(block.body)}
    if isinstance(block, Items):
        return {"kind": "items", "items": [inline_html(i) for i in block.items]}
    if isinstance(block, Subheading):
        return {"kind": "subheading", "title": block.title}
    if isinstance(block, Table):
        rows = [[inline_html(c) for c in row] for row in block.rows]
        return {"kind": "table", "caption": block.caption, "head": block.head, "rows": rows}
    if isinstance(block, Address):
        return {"kind": "address", "lines": [inline_html(line) for line in block.lines]}
    assert isinstance(block, Custom)
    return {"kind": "custom", "html": custom_html(block.markdown)}


def render_html(statement: Statement) -> str:
    """The statement body (intro, contents, sections) as an HTML fragment."""
    sections = [
        {
            "anchor": s.anchor,
            "title": s.title,
            "blocks": [_block_view(b) for b in s.blocks],
        }
        for s in statement.sections
    ]
    with i18n.use(statement.language):
        return render(
            "notices/statement_body.html", intro=inline_html(statement.intro), sections=sections
        )


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_escape(value: str) -> str:
    """Escape Markdown punctuation in text taken from the data map."""
    return _MD_SPECIAL.sub(r"\\\1", value)


def inline_md(run: Text, base_url: str) -> str:
    """An inline run as Markdown; site paths become absolute links."""
    out = []
    for part in run:
        if isinstance(part, Link):
            href = base_url.rstrip("/") + part.href if part.href.startswith("/") else part.href
            out.append(f"[{md_escape(part.text)}]({href})")
        else:
            out.append(md_escape(part))
    return "".join(out)


def _block_md(block: object, base_url: str) -> str:
    if isinstance(block, Para):
        return inline_md(block.body, base_url)
    if isinstance(block, Items):
        return "\n".join("- " + inline_md(i, base_url) for i in block.items)
    if isinstance(block, Subheading):
        return f"### {md_escape(block.title)}"
    if isinstance(block, Table):
        lines = ["| " + " | ".join(block.head) + " |", "|" + "---|" * len(block.head)]
        for row in block.rows:
            lines.append("| " + " | ".join(inline_md(c, base_url) for c in row) + " |")
        return "\n".join(lines)
    if isinstance(block, Address):
        # Two trailing spaces: a hard line break inside one paragraph.
        return "  \n".join(inline_md(line, base_url) for line in block.lines)
    assert isinstance(block, Custom)
    return block.markdown.strip()


def render_markdown(statement: Statement, *, base_url: str, meta: str | None = None) -> str:
    """The whole statement as Markdown; ``meta`` (version, date) goes under the title."""
    parts = [f"# {md_escape(statement.title)}: {md_escape(statement.org_name)}"]
    if meta:
        parts.append(f"*{md_escape(meta)}*")
    parts.append(inline_md(statement.intro, base_url))
    with i18n.use(statement.language):
        contents = _("Contents")
    parts.append(
        f"## {contents}\n\n"
        + "\n".join(
            f"{n}. [{s.title}](#{s.anchor})" for n, s in enumerate(statement.sections, start=1)
        )
    )
    for section in statement.sections:
        body = "\n\n".join(_block_md(b, base_url) for b in section.blocks)
        parts.append(f'<a id="{section.anchor}"></a>\n\n## {section.title}\n\n{body}')
    return "\n\n".join(parts) + "\n"


def with_meta(markdown: str, meta: str) -> str:
    """Insert a version line under the title of stored Markdown."""
    title, _, rest = markdown.partition("\n\n")
    return f"{title}\n\n*{md_escape(meta)}*\n\n{rest}"


def standalone_html(
    body: str, *, org_name: str, meta: str, base_url: str = "", language: str = "en"
) -> str:
    """A complete HTML document with the stylesheet inlined, for files and archives."""
    css = (TEMPLATE_DIR.parent / "static" / "ombud.css").read_text(encoding="utf-8")
    if base_url:
        # Away from the site, links to its pages need the host.
        body = body.replace('href="/', f'href="{base_url.rstrip("/")}/')
    with i18n.use(language):
        return render(
            "notices/standalone.html",
            org_name=org_name,
            meta=meta,
            css=Markup(css),
            body=Markup(body),
        )


def build(datamap: DataMap, *, honour_dnt: bool, language: str = "en") -> Statement:
    """Build the statement model (re-exported so callers need only this module)."""
    return build_statement(datamap, honour_dnt=honour_dnt, language=language)


def render_notice_at_collection(datamap: DataMap, *, language: str = "en") -> str:
    """The notice at collection (CCPA § 7012) as a small HTML fragment."""
    with i18n.use(language) as code:
        blocks = notice_at_collection(Context(datamap, False, code))
        views = [_block_view(b) for b in blocks]
        return render(
            "notices/notice_at_collection.html",
            org_name=datamap.organization.name,
            blocks=views,
        )
