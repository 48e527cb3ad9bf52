"""Packages and outbox mail are written 0600 whatever the umask."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ombud import mail
from ombud.config import Settings
from ombud.execution import package
from ombud.files import write_private


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_private_is_0600_and_whole(tmp_path: Path, open_umask: None) -> None:
    target = tmp_path / "a" / "file.bin"
    write_private(target, b"data")
    assert _mode(target) == 0o600 and target.read_bytes() == b"data"
    write_private(target, b"new")  # overwriting keeps the mode
    assert _mode(target) == 0o600 and target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]  # no temp file left
    shutil.rmtree(tmp_path / "a")  # a folder removed meanwhile is made again
    write_private(target, b"again")
    assert _mode(target) == 0o600 and target.read_bytes() == b"again"


def test_package_is_0600(settings: Settings, open_umask: None) -> None:
    export = package.store(settings, "modetest", b"PK zip")
    assert _mode(export.path) == 0o600
    locked = package.store(settings, "modetest2", b"PK zip", passphrase="correct horse")
    assert _mode(locked.path) == 0o600


def test_outbox_mail_is_0600(settings: Settings, tmp_path: Path, open_umask: None) -> None:
    folder = tmp_path / "outbox"
    s = settings.model_copy(update={"mail_outbox": folder})
    mail.send_mail(s, to="kim@example.test", subject="Hello", text="Body")
    (written,) = folder.iterdir()
    assert written.suffix == ".eml" and _mode(written) == 0o600
