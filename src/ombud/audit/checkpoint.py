"""Checkpoints: the head of the audit chain (sequence number and hash), signed and kept
outside the store, so a truncated tail, an emptied table or a rewrite is found later."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from ombud import keys
from ombud.audit import repository
from ombud.audit.service import VerifyResult, verify
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.errors import Conflict, InvalidInput

FORMAT = "ombud-audit-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at one moment: entry ``seq`` had hash ``hash``."""

    format: str
    seq: int
    hash: str
    at: str
    signature: str = ""

    def message(self) -> bytes:
        """What the signature covers."""
        return json.dumps([self.format, self.seq, self.hash, self.at]).encode()

    def line(self) -> str:
        """One JSON line, for a file, a log shipper or a mail."""
        return json.dumps(asdict(self), separators=(",", ":"))


def _sign(key: bytes, cp: Checkpoint) -> str:
    return hmac.new(key, cp.message(), hashlib.sha256).hexdigest()


def make(session: Session, settings: Settings) -> Checkpoint:
    """A signed checkpoint of the current head; ``Conflict`` when the chain is broken. Write it
    out only after ``session`` has committed."""
    result = verify(session, settings)
    if not result.ok:
        raise Conflict(
            f"audit log is broken at entry #{result.broken_seq}: {result.reason}; no checkpoint "
            "was made (run 'ombud audit verify')"
        )
    # The caller writes the checkpoint out after its commit: by then the head it names is
    # on the disk, not only in PostgreSQL's memory.
    repository.commit_covers_what_was_read(session)
    unsigned = Checkpoint(FORMAT, result.checked, result.head_hash, utcnow().isoformat())
    key = keys.current(settings, keys.AUDIT_CHECKPOINT)
    return Checkpoint(**{**asdict(unsigned), "signature": _sign(key, unsigned)})


def append_to_file(path: Path, cp: Checkpoint) -> None:
    """Append ``cp`` as a line to ``path`` (created readable by its owner only)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(cp.line() + "\n")


def read(path: Path, settings: Settings) -> list[Checkpoint]:
    """Every checkpoint in ``path`` (one JSON line each), each with a valid signature."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidInput(f"cannot read checkpoint file {path}: {exc.strerror}") from None
    accepted = keys.accepted(settings, keys.AUDIT_CHECKPOINT)
    found: list[Checkpoint] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        where = f"{path}, line {number}"
        try:
            raw = json.loads(text)
            cp = Checkpoint(
                format=str(raw["format"]),
                seq=int(raw["seq"]),
                hash=str(raw["hash"]),
                at=str(raw["at"]),
                signature=str(raw["signature"]),
            )
        except (ValueError, KeyError, TypeError):
            raise InvalidInput(f"{where}: not an Ombud audit checkpoint") from None
        if cp.format != FORMAT:
            raise InvalidInput(f"{where}: unknown checkpoint format '{cp.format}'")
        if not any(hmac.compare_digest(_sign(k, cp), cp.signature) for k in accepted):
            raise InvalidInput(
                f"{where}: the signature does not match (altered, or made with another "
                "OMBUD_SECRET_KEY)"
            )
        found.append(cp)
    if not found:
        raise InvalidInput(f"{path} holds no checkpoint")
    return found


def compare(session: Session, result: VerifyResult, checkpoints: list[Checkpoint]) -> str:
    """Why the log disagrees with a checkpoint ("" when it agrees with all of them)."""
    for cp in sorted(checkpoints, key=lambda c: c.seq):
        if cp.seq > result.checked:
            ends = "is empty" if result.checked == 0 else f"ends at entry #{result.checked}"
            return (
                f"the log {ends} but the checkpoint of {cp.at} records entry #{cp.seq} "
                "(entries were removed)"
            )
        if cp.seq and repository.hash_at(session, cp.seq) != cp.hash:
            return (
                f"entry #{cp.seq} differs from the checkpoint of {cp.at} (the log was "
                "rewritten up to there)"
            )
    return ""
