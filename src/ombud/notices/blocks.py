"""The structured statement model: sections made of blocks, rendered to HTML and Markdown.

Builders fill it from the data map (``sections.py``); renderers (``render.py``) never look at the
data map, so both formats say exactly the same thing."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Link:
    """An inline link; ``href`` is a site path (``/privacy/request``) or an absolute URL."""

    text: str
    href: str


Inline = str | Link
Text = tuple[Inline, ...]


def text(*parts: Inline) -> Text:
    """Build an inline run from strings and links."""
    return tuple(p for p in parts if p != "")


@dataclass(frozen=True)
class Para:
    """A paragraph."""

    body: Text


@dataclass(frozen=True)
class Items:
    """A bulleted list."""

    items: tuple[Text, ...]


@dataclass(frozen=True)
class Subheading:
    """A heading inside a section."""

    title: str


@dataclass(frozen=True)
class Table:
    """A table with a caption, column headings and rows of inline cells."""

    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[Text, ...], ...]


@dataclass(frozen=True)
class Address:
    """A postal or contact block (one line each)."""

    lines: tuple[Text, ...]


@dataclass(frozen=True)
class Custom:
    """The organization's own Markdown from ``statement:`` in the data map."""

    markdown: str


Block = Para | Items | Subheading | Table | Address | Custom


@dataclass(frozen=True)
class Section:
    """One numbered section with a stable anchor."""

    key: str
    title: str
    blocks: tuple[Block, ...]

    @property
    def anchor(self) -> str:
        """The fragment id used in the table of contents and in links."""
        return self.key.replace("_", "-")


@dataclass(frozen=True)
class Statement:
    """A complete statement for one organization."""

    title: str
    org_name: str
    intro: Text
    sections: tuple[Section, ...] = field(default_factory=tuple)
    language: str = "en"


def plain(run: Text) -> str:
    """The words of an inline run, links reduced to their text."""
    return "".join(p if isinstance(p, str) else p.text for p in run)


def section_text(section: Section) -> str:
    """The words of a section (for diffs and search), blocks separated by blank lines."""
    out: list[str] = []
    for block in section.blocks:
        if isinstance(block, Para):
            out.append(plain(block.body))
        elif isinstance(block, Items):
            out.append("\n".join("- " + plain(i) for i in block.items))
        elif isinstance(block, Subheading):
            out.append(block.title)
        elif isinstance(block, Table):
            lines = [block.caption, " | ".join(block.head)]
            lines += [" | ".join(plain(c) for c in row) for row in block.rows]
            out.append("\n".join(lines))
        elif isinstance(block, Address):
            out.append("\n".join(plain(line) for line in block.lines))
        else:
            out.append(block.markdown.strip())
    return "\n\n".join(out)
