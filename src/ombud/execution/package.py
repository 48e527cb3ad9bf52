"""Access packages: a ZIP with one JSON and one CSV per collection, the person's consent
history, a README and an index page of what GDPR Art. 15 requires besides the data (in the
data map's names and words), and a manifest; credentials are left out; written to disk as
it is built (streamed) or, when age-encrypted, encrypted in memory first. Links to them:
``export_links``."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyrage

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.datamap.schemas import Authority, DataMap
from ombud.errors import Gone, InvalidInput, NotFound
from ombud.execution.changes import Row
from ombud.execution.planner import Plan
from ombud.execution.summary import describe, readme_text, shown_fields, summary_parts
from ombud.files import private_file, write_private

FORMAT = "ombud-access-package/1"
# Files from this size on are deflated; smaller ones are stored as they are. A typical
# package (40 KB of text) deflated to 15 KB for 0.4 ms of CPU, more than its data files cost
# to write; a person with much data still gets a compressed package.
DEFLATE_FROM = 64 * 1024
EXPORT_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
# Stored files are ``<export id>.<download name>.zip[.age]``: no export id holds a dot.
NAME_SEPARATOR = "."
DOWNLOAD_NAME = re.compile(r"[a-z0-9-]{1,200}")
# Wrong passphrases a download page accepts per link and hour (``execution.unlock``).
UNLOCK_TRIES_PER_HOUR = 5


@dataclass(frozen=True)
class Export:
    """A stored package."""

    id: str
    path: Path
    sha256: str
    size: int
    encrypted: bool


def _json_default(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def pretty_json(value: Any) -> bytes:
    """``value`` as UTF-8 JSON indented by two spaces, non-ASCII kept; dates in ISO 8601,
    other values the JSON types lack as text (``json.dumps(indent=2)``'s output, written by
    orjson: the standard library's indent mode is pure Python, most of a package's CPU). Bytes,
    as the ZIP takes them: no text copy of a large collection on the way."""
    try:
        return orjson.dumps(value, default=_json_default, option=orjson.OPT_INDENT_2)
    except (TypeError, orjson.JSONEncodeError):  # an integer past 64 bits, say
        return json.dumps(value, indent=2, default=_json_default, ensure_ascii=False).encode()


def package_files(plan: Plan, rows: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """{collection: its rows as found}, for the collections with rows and fields the package
    shows; each file limits them to those fields as it is written (one copy at a time)."""
    return {
        step.name: found
        for step in plan.steps
        if (found := rows.get(step.name)) and shown_fields(step)
    }


def holds_data(
    plan: Plan, rows: dict[str, list[Row]], consents: list[dict[str, Any]] | None = None
) -> bool:
    """True when the package would hold anything about the person."""
    return bool(package_files(plan, rows) or consents)


def package_name(organization: str, request_type: str, on: date) -> str:
    """``<organization>-<request type>-<date>``, e.g. ``postlicht-mail-gmbh-access-2026-12-07``."""
    return f"{slugify(organization) or 'package'}-{slugify(request_type)}-{on.isoformat()}"


@lru_cache(maxsize=256)  # every package of a company names the same organization
def slugify(text: str) -> str:
    """ASCII lower-case words joined by hyphens (``Straße & Co.`` -> ``strasse-co``)."""
    text = text.replace("ß", "ss").replace("ẞ", "SS")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One CSV cell; text that a spreadsheet would run as a formula gets a leading ``'``."""
    if type(value) is str:  # most cells: no conversion to look for
        text = value
    elif value is None:
        return ""
    elif isinstance(value, bool | int | float | Decimal):
        return str(value)  # a negative number is data, not a formula
    else:
        text = _json_default(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(found: list[Row], labels: dict[str, str] | None = None) -> str:
    """Rows of one collection as CSV text, header (labels when given) first."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([csv_cell((labels or {}).get(k, k)) for k in found[0]])
    for row in found:
        writer.writerow([csv_cell(v) for v in row.values()])
    return text.getvalue()


def build_zip(
    datamap: DataMap,
    plan: Plan,
    *,
    request_id: str,
    rows: dict[str, list[Row]],
    kept: list[dict[str, str]] | None = None,
    consents: list[dict[str, Any]] | None = None,
    authority: Authority | None = None,
) -> bytes:
    """The package as ZIP bytes (``write_zip`` into memory)."""
    buffer = io.BytesIO()
    write_zip(
        buffer,
        datamap,
        plan,
        request_id=request_id,
        rows=rows,
        kept=kept,
        consents=consents,
        authority=authority,
    )
    return buffer.getvalue()


def write_zip(
    out: BinaryIO,
    datamap: DataMap,
    plan: Plan,
    *,
    request_id: str,
    rows: dict[str, list[Row]],
    kept: list[dict[str, str]] | None = None,
    consents: list[dict[str, Any]] | None = None,
    authority: Authority | None = None,
    uploads: Sequence[tuple[str, bytes]] = (),
) -> None:
    """Write the package as a ZIP into ``out`` (a new, seekable file), file by file: data
    files, the person's consent history, README.txt, index.html (what Art. 15 adds, in the
    data map's words), a manifest, and the files owners of manual systems uploaded."""
    data = package_files(plan, rows)
    consents = consents or []
    contents = describe(datamap, plan, data)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "request_id": request_id,
        "generated_at": utcnow().isoformat(),
        "collections": [],
        "withheld": [w for c in contents for w in c["withheld"]],
        "unreachable": plan.unreachable_dicts(),
    }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:

        def write(path: str, content: str | bytes) -> str:
            data = content.encode() if isinstance(content, str) else content
            # Deflate pays for itself only on large files; its fastest level made packages
            # 8% larger than the default and cost a third of the CPU.
            small = len(data) < DEFLATE_FROM
            zf.writestr(path, data, compress_type=zipfile.ZIP_STORED if small else None)
            return hashlib.sha256(data).hexdigest()

        for item in contents:
            name, labels = item["name"], {f["name"]: f["label"] for f in item["fields"]}
            found = [{n: r.get(n) for n in labels} for r in item["rows"]]
            files = {  # each file's text freed once written
                f"data/{name}.json": write(f"data/{name}.json", pretty_json(found)),
                f"data/{name}.csv": write(f"data/{name}.csv", to_csv(found, labels)),
            }
            manifest["collections"].append(
                {
                    "name": name,
                    "title": item["title"],
                    "description": item["description"],
                    "rows": len(found),
                    "fields": [
                        {
                            "name": f["name"],
                            "label": f["label"],
                            "description": f["description"],
                            "categories": f["category_keys"],
                        }
                        for f in item["fields"]
                    ],
                    "files": files,
                }
            )
        if consents:
            history = pretty_json(consents)
            manifest["consent_history"] = {
                "rows": len(consents),
                "files": {"consent/history.json": write("consent/history.json", history)},
            }
        # The page shows every row: its parts are encoded as they come, each collection's
        # table made only when its turn comes, so the rows are held as HTML once, in bytes.
        parts = summary_parts(datamap, plan, contents, kept or [], consents, authority=authority)
        write("index.html", b"".join(part.encode() for part in parts))
        write("README.txt", readme_text(datamap, plan, contents, consents, authority=authority))
        write("manifest.json", pretty_json(manifest))
        for path, content in uploads:  # under manual/, as the owners sent them
            write(path, content)


def encrypt(data: bytes, *, passphrase: str | None = None, recipient: str | None = None) -> bytes:
    """Encrypt with age: to a passphrase or to an ``age1...`` recipient."""
    if recipient:
        try:
            out: bytes = pyrage.encrypt(data, [pyrage.x25519.Recipient.from_str(recipient)])
            return out
        except pyrage.RecipientError as exc:
            raise InvalidInput(f"not a valid age recipient: {exc}") from None
    if passphrase:
        locked: bytes = pyrage.passphrase.encrypt(data, passphrase)
        return locked
    return data


def store(
    settings: Settings,
    export_id: str,
    data: bytes,
    *,
    passphrase: str | None = None,
    recipient: str | None = None,
    name: str = "",
) -> Export:
    """Write the package under ``data_dir/exports``, encrypted when asked; ``name`` (see
    ``package_name``) is the file name the person downloads it under."""
    encrypted = bool(passphrase or recipient)
    path = _stored_path(settings, export_id, name, encrypted)
    payload = encrypt(data, passphrase=passphrase, recipient=recipient)
    write_private(path, payload)
    return Export(export_id, path, hashlib.sha256(payload).hexdigest(), len(payload), encrypted)


def store_written(
    settings: Settings,
    export_id: str,
    write: Callable[[BinaryIO], None],
    *,
    passphrase: str | None = None,
    recipient: str | None = None,
    name: str = "",
) -> Export:
    """``store`` for a package that ``write`` writes into a file (``write_zip``): a plain one
    is streamed to disk, never held whole in memory; an encrypted one is built in memory and
    encrypted there (age's passphrase mode takes bytes, and no plain copy may touch disk)."""
    if passphrase or recipient:
        buffer = io.BytesIO()
        write(buffer)
        data = buffer.getvalue()
        del buffer  # one copy in memory while it is encrypted, not two
        return store(
            settings, export_id, data, passphrase=passphrase, recipient=recipient, name=name
        )
    path = _stored_path(settings, export_id, name, encrypted=False)
    with private_file(path) as out:
        write(out)
        size = out.tell()
    with path.open("rb") as written:  # read back from the page cache: the zip seeks back
        digest = hashlib.file_digest(written, "sha256").hexdigest()
    return Export(export_id, path, digest, size, encrypted=False)


def _stored_path(settings: Settings, export_id: str, name: str, encrypted: bool) -> Path:
    folder = settings.data_dir / "exports"  # made by the first write when missing
    if name and not DOWNLOAD_NAME.fullmatch(name):
        raise InvalidInput(f"export {export_id}: {name!r} is not a file name (see package_name)")
    named = f"{NAME_SEPARATOR}{name}" if name else ""
    return _checked_path(folder, export_id, f"{named}.zip{'.age' if encrypted else ''}")


def encrypt_stored(
    settings: Settings,
    export_id: str,
    *,
    passphrase: str | None = None,
    recipient: str | None = None,
) -> Export:
    """Encrypt a stored package in place: ``.zip`` becomes ``.zip.age`` (already done: kept)."""
    if not (passphrase or recipient):
        raise InvalidInput(f"export {export_id}: give a passphrase or an age recipient")
    path = find(settings, export_id)
    if path.name.endswith(".age"):
        payload = path.read_bytes()
        return Export(export_id, path, hashlib.sha256(payload).hexdigest(), len(payload), True)
    name = download_name(path).removesuffix(".zip")
    locked = store(
        settings,
        export_id,
        path.read_bytes(),
        passphrase=passphrase,
        recipient=recipient,
        name=name if name != export_id else "",
    )
    path.unlink()
    return locked


def _checked_path(folder: Path, export_id: str, suffix: str) -> Path:
    # Links and staff name exports by an opaque id, never a path: anything that could step
    # out of the export folder (a separator, "..", a symlink) is no export.
    if not EXPORT_ID.fullmatch(export_id):
        raise NotFound("no such download")
    path = folder / f"{export_id}{suffix}"
    # The name holds no separator, so only the file itself could lead elsewhere: one lstat,
    # where resolving both paths cost one per folder of each (on every package and letter).
    if path.is_symlink():
        raise NotFound("no such download")
    return path


def find(settings: Settings, export_id: str, name: str | None = None) -> Path:
    """The stored file of an export, or ``Gone`` when it was removed (``name``: the download
    name the result recorded, which spares a search of the folder)."""
    folder = settings.data_dir / "exports"
    stem = (name or "").removesuffix(".age").removesuffix(".zip")
    # Encrypted first: if both exist (a crash while encrypting), never hand out the plain one.
    # Encrypting keeps the name, so the recorded name settles it without a search.
    if DOWNLOAD_NAME.fullmatch(stem):
        for suffix in (".zip.age", ".zip"):
            path = _checked_path(folder, export_id, f"{NAME_SEPARATOR}{stem}{suffix}")
            if path.is_file():
                return path
    for suffix in (".zip.age", ".zip"):
        path = _checked_path(folder, export_id, suffix)
        if path.is_file():
            return path
        for path in sorted(folder.glob(f"{export_id}{NAME_SEPARATOR}*{suffix}")):
            inside = path.resolve().is_relative_to(folder.resolve())
            if (
                inside
                and path.is_file()
                and DOWNLOAD_NAME.fullmatch(download_name(path)[: -len(suffix)])
            ):
                return path
    raise Gone("this download is no longer available")


def download_name(path: Path) -> str:
    """The name the person downloads a stored package under (``<name>.zip[.age]``)."""
    rest = path.name.partition(NAME_SEPARATOR)[2]
    return path.name if rest in ("", "zip", "zip.age") else rest


def export_id_of(path: Path) -> str:
    """The export id a stored package file is named by (the part before its name)."""
    return path.name.partition(NAME_SEPARATOR)[0]


def discard(settings: Settings, request_id: str) -> int:
    """Delete every package file of a request (purged, or left by a run that died)."""
    return discard_many(settings, [request_id])


def discard_many(settings: Settings, request_ids: Sequence[str]) -> int:
    """Delete every package file of these requests, in one pass over the folder."""
    folder = settings.data_dir / "exports"
    if not request_ids or not folder.is_dir():
        return 0
    prefixes = tuple(rid.replace("-", "") for rid in request_ids)
    gone = 0
    for path in folder.iterdir():
        if path.name.startswith(prefixes) and ".zip" in path.name:
            path.unlink(missing_ok=True)
            gone += 1
    return gone
