"""``ombud demo --init DIR`` writes the example; ``ombud demo`` really serves it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from ombud.cli.main import app
from ombud.config import get_settings
from ombud.datamap.loader import load_datamap, read_files
from ombud.datamap.service import check
from ombud.db import get_engine, unit_of_work
from ombud.demo import requests as demo_requests
from ombud.demo import setup
from ombud.demo.appdb import CONNECTION_NAME, TABLES
from ombud.dsr import service as dsr_service

runner = CliRunner()


def test_init_writes_the_datamap_and_the_application_database(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    res = runner.invoke(app, ["demo", "--init", str(target), "--people", "150"])
    assert res.exit_code == 0, res.output
    # The YAML files and the files they name (the brand's logo).
    assert sorted(p.name for p in (target / "datamap").iterdir()) == sorted(
        p.name for p in setup.DATAMAP_SOURCE.iterdir() if p.suffix in (".yaml", ".svg")
    )
    datamap = load_datamap(target / "datamap")
    connection = datamap.get_connection(CONNECTION_NAME)
    assert connection is not None
    assert connection.url == f"sqlite:///{(target / 'app.db').resolve()}"
    assert check(read_files(target / "datamap")) == []
    engine = create_engine(connection.url)
    try:
        with engine.connect() as conn:
            accounts = conn.scalar(select(func.count()).select_from(TABLES["accounts"]))
    finally:
        engine.dispose()
    assert accounts is not None and 100 < accounts < 150
    assert f"{accounts:,}" in res.output
    assert f"ombud demo --dir {target}" in res.output
    assert not (target / "ombud.db").exists()


def test_init_refuses_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("precious", encoding="utf-8")
    res = runner.invoke(app, ["demo", "--init", str(tmp_path), "--people", "10"])
    assert res.exit_code == 1
    assert "is not empty and holds no previous demo" in res.output
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.tex"]


def test_init_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    res = runner.invoke(app, ["demo", "--init", str(target)])
    assert res.exit_code == 1
    assert "is a file" in res.output


def test_init_twice_replaces_the_previous_demo(tmp_path: Path) -> None:
    first = runner.invoke(app, ["demo", "--init", str(tmp_path / "d"), "--people", "20"])
    assert first.exit_code == 0, first.output
    marker = (tmp_path / "d" / setup.MARKER).read_text(encoding="utf-8")
    again = runner.invoke(app, ["demo", "--init", str(tmp_path / "d"), "--people", "30"])
    assert again.exit_code == 0, again.output
    assert "replaced the previous demo" in again.output
    assert (tmp_path / "d" / setup.MARKER).read_text(encoding="utf-8") == marker


def test_init_and_dir_together_are_refused(tmp_path: Path) -> None:
    res = runner.invoke(app, ["demo", "--init", str(tmp_path), "--dir", str(tmp_path)])
    assert res.exit_code == 1
    assert "not both" in res.output


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let the demo set its OMBUD_* variables; restore them and the caches afterwards."""
    for name in ("DATABASE_URL", "DATAMAP_PATH", "DATA_DIR", "BASE_URL", "SECRET_KEY"):
        monkeypatch.setenv(f"OMBUD_{name}", "unset-by-test")
    monkeypatch.setenv("OMBUD_MAIL_SENDER", "unset-by-test")
    before = {k: v for k, v in os.environ.items() if k.startswith("OMBUD_")}
    yield
    # The demo may set more OMBUD_* variables than those above; none may leak into other tests.
    for name in [k for k in os.environ if k.startswith("OMBUD_") and k not in before]:
        del os.environ[name]
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_store_is_prepared_once_and_reused(tmp_path: Path, demo_env: None) -> None:
    where = setup.init_demo(tmp_path / "d", people=30).directory
    setup.use_demo_settings(where, base_url="http://127.0.0.1:9")
    assert get_settings().database_url == f"sqlite:///{where / 'ombud.db'}"
    assert get_settings().datamap_path == where / "datamap"
    first = setup.prepare_store(where)
    assert first.admin_email == "admin@postlicht.example"
    assert first.admin_password is not None and len(first.admin_password) >= 12
    assert first.datamap_version == 1
    # A newcomer sees a published statement, not a draft; a second start publishes nothing.
    assert first.statement_version == 1
    again = setup.prepare_store(where)
    assert again.admin_password is None
    assert again.datamap_version == 1
    assert again.statement_version == 1
    assert (where / "datamap" / "postlicht-logo.svg").is_file()
    assert again.api_token != first.api_token
    # The console has something to show: sample requests in every state, made once.
    assert first.sample_requests == len(demo_requests.SAMPLES) and again.sample_requests == 0
    with unit_of_work() as session:
        items = dsr_service.queue(session, include_closed=True)
    states = {i.request.status for i in items}
    assert {"awaiting_verification", "verified", "approved", "completed", "denied"} <= states
    assert any(i.overdue for i in items) and any(i.due_soon for i in items)
    assert any(i.request.assignee_id for i in items)


def test_a_busy_port_is_said_plainly(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = runner.invoke(app, ["demo", "--dir", str(tmp_path / "d"), "--port", str(port)])
    assert res.exit_code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in res.output
    assert f"--port {port + 1}" in res.output and f"make demo PORT={port + 1}" in res.output
    assert not (tmp_path / "d").exists()  # refused before generating anything


def test_init_reports_progress(tmp_path: Path) -> None:
    seen: list[int] = []
    setup.init_demo(tmp_path / "d", people=250, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 250 and len(seen) > 10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.slow
def test_demo_serves_the_example(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMBUD_")}
    log_path = tmp_path / "demo.log"
    command = [sys.executable, "-c", "from ombud.cli.main import main; main()", "demo"]
    command += ["--dir", str(tmp_path / "demo"), "--people", "120", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        with httpx.Client(base_url=base, timeout=2) as client:
            status = None
            deadline = time.monotonic() + 90
            while status != 200 and time.monotonic() < deadline:
                assert proc.poll() is None, log_path.read_text(encoding="utf-8")
                try:
                    status = client.get("/healthz").status_code
                except httpx.TransportError:
                    time.sleep(0.3)
            output = log_path.read_text(encoding="utf-8")
            assert status == 200, output
            token = re.search(r"API token\s+(\S+)", output)
            assert token is not None, output
            res = client.get("/api/v1/datamap", headers={"Authorization": f"Bearer {token[1]}"})
            assert res.status_code == 200, res.text
            assert res.json()["document"]["organization"]["name"] == "Postlicht Mail GmbH"
            assert client.get("/api/v1/datamap").status_code == 401
        assert "admin@postlicht.example" in output
        # The console comes first: its address and the login before what was generated, the
        # store and the token.
        assert (
            output.index(f"{base}/staff")
            < output.index("staff login")
            < output.index("wrote the demo to")
            < output.index("API token")
        )
        assert output.count("Ombud's store") == 1
        assert re.search(r"password\s+\S{12,}", output)
        for path in ("/docs", "/privacy/statement", "/privacy/request"):
            assert f"{base}{path}" in output
        # Another shell, with nothing but the printed line, uses the demo's store and key.
        line = re.search(r"export OMBUD_CONFIG=(\S+)", output)
        assert line is not None, output
        other = subprocess.run(
            [sys.executable, "-c", "from ombud.cli.main import main; main()", "requests", "list"],
            env={**env, "OMBUD_CONFIG": line[1]},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert other.returncode == 0, other.stderr
        assert "request(s)" in other.stdout
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
