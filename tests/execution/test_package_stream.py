"""Packages are written to disk as they are built: the same files as in memory, the digest
and size of what is on disk, nothing left behind by a failed write, encrypted ones never
plain on disk, and never the whole package in memory."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pyrage
import pytest
from pydantic import SecretStr

from ombud.config import Settings
from ombud.datamap.schemas import DataMap
from ombud.execution import package
from ombud.execution.changes import Row
from ombud.execution.planner import Plan, build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from tests.execution import shop
from tests.execution.conftest import Target
from tests.fixtures.api import TEST_SECRET_KEY

pytestmark = pytest.mark.parametrize("target", ["sqlite"], indirect=True)

# Owners' uploads of a manual system: incompressible, so the package is as large as they are.
UPLOADS = [(f"manual/helpdesk/scan-{i}.pdf", os.urandom(1 << 20)) for i in range(8)]


def _settings(tmp_path: Path) -> Settings:
    return Settings(secret_key=SecretStr(TEST_SECRET_KEY), data_dir=tmp_path / "data")


def _found(dm: DataMap, n: int) -> tuple[Plan, dict[str, list[Row]]]:
    plan = build_plan(dm)
    spec = RequestSpec(f"a{n}", "access", {"email": shop.email(n)})
    with ConnectorPool(dm) as pool:
        out = execute_batch(plan, [spec], pool=pool, journal=MemoryJournal(), key=b"k")
    return plan, out[spec.id].rows


def _entries(data: bytes) -> dict[str, bytes]:
    """The package's files; the manifest without its time of writing."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        files = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(files["manifest.json"])
    assert manifest.pop("generated_at")
    files["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def test_streamed_package_holds_what_the_built_one_does(
    target: Target, shop_map: DataMap, tmp_path: Path
) -> None:
    plan, rows = _found(shop_map, 4)
    uploads = [*UPLOADS[:1], ("manual/helpdesk/tickets.csv", b"id,subject\n7,Refund\n")]
    old = os.umask(0o000)  # the mode is 0600 whatever the umask
    try:
        export = package.store_written(
            _settings(tmp_path),
            "s1",
            lambda out: package.write_zip(
                out, shop_map, plan, request_id="a4", rows=rows, uploads=uploads
            ),
            name="person-4",
        )
    finally:
        os.umask(old)
    built = package.build_zip(shop_map, plan, request_id="a4", rows=rows)
    on_disk = export.path.read_bytes()
    assert export.path.name == "s1.person-4.zip" and not export.encrypted
    assert stat.S_IMODE(export.path.stat().st_mode) == 0o600
    assert export.size == len(on_disk) == export.path.stat().st_size
    assert export.sha256 == hashlib.sha256(on_disk).hexdigest()
    streamed = _entries(on_disk)
    assert {n: streamed.pop(n) for n, _ in uploads} == dict(uploads)
    assert streamed == _entries(built)
    assert json.loads(streamed["data/shop.customers.json"])[0]["email"] == shop.email(4)
    assert [p.name for p in export.path.parent.iterdir()] == [export.path.name]


def test_a_write_that_fails_leaves_no_file(
    target: Target, shop_map: DataMap, tmp_path: Path
) -> None:
    plan, rows = _found(shop_map, 4)
    settings = _settings(tmp_path)

    def half_then_fail(out: BinaryIO) -> None:
        package.write_zip(out, shop_map, plan, request_id="a4", rows=rows)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        package.store_written(settings, "s2", half_then_fail)
    assert list((settings.data_dir / "exports").iterdir()) == []
    with pytest.raises(OSError, match="disk full"):  # and none is left locked either
        package.store_written(settings, "s2", half_then_fail, passphrase="correct horse")
    assert list((settings.data_dir / "exports").iterdir()) == []


def test_encrypted_package_is_never_plain_on_disk(
    target: Target, shop_map: DataMap, tmp_path: Path
) -> None:
    plan, rows = _found(shop_map, 4)
    settings = _settings(tmp_path)

    def write(out: BinaryIO) -> None:
        package.write_zip(out, shop_map, plan, request_id="a4", rows=rows)

    identity = pyrage.x25519.Identity.generate()
    locked = package.store_written(settings, "e1", write, passphrase="correct horse")
    sealed = package.store_written(settings, "e2", write, recipient=str(identity.to_public()))
    folder = settings.data_dir / "exports"
    assert sorted(p.name for p in folder.iterdir()) == ["e1.zip.age", "e2.zip.age"]
    for export, opened in (
        (locked, pyrage.passphrase.decrypt(locked.path.read_bytes(), "correct horse")),
        (sealed, pyrage.decrypt(sealed.path.read_bytes(), [identity])),
    ):
        assert export.encrypted and export.size == export.path.stat().st_size
        assert export.sha256 == hashlib.sha256(export.path.read_bytes()).hexdigest()
        customers = json.loads(_entries(opened)["data/shop.customers.json"])
        assert customers[0]["email"] == shop.email(4)


def _peak(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_large_package_is_never_whole_in_memory(
    target: Target, shop_map: DataMap, tmp_path: Path
) -> None:
    plan, rows = _found(shop_map, 4)
    settings = _settings(tmp_path)

    def write(out: BinaryIO) -> None:
        package.write_zip(out, shop_map, plan, request_id="a4", rows=rows, uploads=UPLOADS)

    def in_memory() -> None:
        buffer = io.BytesIO()
        write(buffer)
        package.store(settings, "m1", buffer.getvalue())

    streamed = _peak(lambda: package.store_written(settings, "m2", write))
    held = _peak(in_memory)
    size = (settings.data_dir / "exports" / "m2.zip").stat().st_size
    assert size > 8 << 20
    assert held > size  # the measure sees a package held whole
    # Written file by file: at most a few copies of one upload (compressing one makes them).
    assert streamed < size / 2, (streamed, size)
