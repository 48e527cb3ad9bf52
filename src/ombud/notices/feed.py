"""Atom 1.0 feeds (RFC 4287) of statement versions and of sub-processor changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from ombud.models.statement import StatementVersion
from ombud.notices.versions import SubprocessorChange

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def _stamp(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _feed(
    *, base_url: str, path: str, alternate: str, title: str, org_name: str, updated: datetime
) -> ET.Element:
    root = ET.Element(f"{{{ATOM}}}feed")
    _el(root, "id", base_url + path)
    _el(root, "title", title)
    _el(root, "updated", _stamp(updated))
    author = _el(root, "author")
    _el(author, "name", org_name)
    _el(root, "link", rel="self", type="application/atom+xml", href=base_url + path)
    _el(root, "link", rel="alternate", type="text/html", href=base_url + alternate)
    return root


def _serialise(root: ET.Element) -> bytes:
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def version_title(version: StatementVersion) -> str:
    """'Version 3, effective 2026-04-01 (material change)'."""
    title = f"Version {version.number}, effective {version.effective_date.isoformat()}"
    return title + (" (material change)" if version.material else "")


def diff_path(version: StatementVersion) -> str:
    """The diff from the previous version, or the version itself for the first one."""
    if version.number == 1:
        return "/privacy/statement/versions/1"
    return f"/privacy/statement/diff?from={version.number - 1}&to={version.number}"


def statement_feed(
    versions: Sequence[StatementVersion], *, base_url: str, org_name: str, now: datetime
) -> bytes:
    """The feed of published versions, newest first."""
    base = base_url.rstrip("/")
    updated = max((v.published_at for v in versions), default=now)
    root = _feed(
        base_url=base,
        path="/privacy/statement/feed.xml",
        alternate="/privacy/statement",
        title=f"{org_name}: privacy statement versions",
        org_name=org_name,
        updated=updated,
    )
    for v in versions:
        entry = _el(root, "entry")
        version_url = f"{base}/privacy/statement/versions/{v.number}"
        _el(entry, "id", version_url)
        _el(entry, "title", version_title(v))
        _el(entry, "updated", _stamp(v.published_at))
        _el(entry, "published", _stamp(v.published_at))
        _el(entry, "link", rel="alternate", type="text/html", href=version_url)
        _el(entry, "link", rel="related", type="text/html", title="What changed",
            href=base + diff_path(v))  # fmt: skip
        summary = v.summary or f"Version {v.number} of the privacy statement."
        _el(entry, "summary", summary)
    return _serialise(root)


def _describe(items: list[dict[str, Any]]) -> str:
    return "; ".join(f"{p['name']} ({p['country_name']}, {p['purpose']})" for p in items)


def change_summary(change: SubprocessorChange) -> str:
    """'Added: X (the United States, Payments). Removed: Y (...).' in one line."""
    parts = []
    if change.added:
        parts.append(f"Added: {_describe(change.added)}.")
    if change.removed:
        parts.append(f"Removed: {_describe(change.removed)}.")
    if change.changed:
        parts.append(f"Changed: {_describe(change.changed)}.")
    return " ".join(parts)


def subprocessor_feed(
    changes: Sequence[tuple[StatementVersion, SubprocessorChange]],
    *,
    base_url: str,
    org_name: str,
    now: datetime,
) -> bytes:
    """The feed of additions and removals of sub-processors, newest first."""
    base = base_url.rstrip("/")
    updated = max((v.published_at for v, _ in changes), default=now)
    root = _feed(
        base_url=base,
        path="/privacy/sub-processors/feed.xml",
        alternate="/privacy/sub-processors",
        title=f"{org_name}: sub-processor changes",
        org_name=org_name,
        updated=updated,
    )
    for v, change in changes:
        entry = _el(root, "entry")
        _el(entry, "id", f"{base}/privacy/statement/versions/{v.number}#sub-processors")
        _el(entry, "title", f"Sub-processors changed with statement version {v.number}")
        _el(entry, "updated", _stamp(v.published_at))
        _el(entry, "link", rel="alternate", type="text/html",
            href=f"{base}/privacy/statement/versions/{v.number}")  # fmt: skip
        _el(entry, "summary", change_summary(change))
    return _serialise(root)
