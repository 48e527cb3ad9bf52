"""Set up the demo company in a folder: its data map, its application database, Ombud's store.

Layout of a demo folder::

    DIR/.ombud-demo      marker (JSON, mode 0600): proves the folder is a demo, holds its key
    DIR/ombud.env        the demo's settings (mode 0600), for OMBUD_CONFIG in other shells
    DIR/datamap/*.yaml   the data map of Postlicht Mail GmbH (app_db points to DIR/app.db)
    DIR/app.db           the company's application database (SQLite, generated people)
    DIR/ombud.db         Ombud's own store (written by ``ombud demo`` when serving)
    DIR/var/             exports and other files of Ombud
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from ombud import keys
from ombud.clock import utcnow
from ombud.config import get_settings
from ombud.datamap.loader import load_datamap
from ombud.db import get_engine, unit_of_work
from ombud.demo.appdb import CONNECTION_NAME, create_schema
from ombud.demo.generate import populate
from ombud.errors import Conflict
from ombud.migrations import upgrade

DATAMAP_SOURCE = Path(__file__).parent / "datamap"
MARKER = ".ombud-demo"
ENV_FILE = "ombud.env"
# Settings the demo sets for itself and writes to ENV_FILE for other shells.
SHARED_SETTINGS = (
    "OMBUD_DATABASE_URL",
    "OMBUD_DATAMAP_PATH",
    "OMBUD_DATA_DIR",
    "OMBUD_BASE_URL",
    "OMBUD_SECRET_KEY",
    "OMBUD_MAIL_SENDER",
    "OMBUD_MAIL_OUTBOX",
)
PACKAGED_URL = "url: sqlite:///app.db"
STORE_FILES = ("ombud.db", "ombud.db-wal", "ombud.db-shm")
APP_FILES = ("app.db", "app.db-wal", "app.db-shm", "app.db-journal")


@dataclass(frozen=True)
class InitResult:
    """What ``init_demo`` wrote."""

    directory: Path
    datamap_files: list[Path]
    app_db: Path
    counts: dict[str, int]
    replaced: bool


@dataclass(frozen=True)
class StoreResult:
    """Ombud's store of a demo, ready to serve."""

    database_url: str
    datamap_version: int
    admin_email: str
    admin_password: str | None
    api_token: str
    statement_version: int | None = None
    # Sample requests created now (none when the store already had requests).
    sample_requests: int = 0


def app_db_url(directory: Path) -> str:
    """SQLAlchemy URL of the demo's application database."""
    return f"sqlite:///{(directory / 'app.db').resolve()}"


def store_url(directory: Path) -> str:
    """SQLAlchemy URL of Ombud's store inside a demo folder."""
    return f"sqlite:///{(directory / 'ombud.db').resolve()}"


def company_domain() -> str:
    """The demo company's domain, from the website in its data map."""
    website = load_datamap(DATAMAP_SOURCE).organization.website
    return urlparse(website).hostname or "postlicht.example"


def is_demo(directory: Path) -> bool:
    """True when ``directory`` holds a demo written earlier."""
    return (directory / MARKER).is_file()


def check_folder(directory: Path) -> bool:
    """Return True if ``directory`` is a previous demo, False if absent or empty.

    Raises ``Conflict`` for a file or a non-empty folder that is not a demo, so that a typo
    never overwrites someone's files."""
    if not directory.exists():
        return False
    if not directory.is_dir():
        raise Conflict(f"{directory} is a file; give a new or empty folder for the demo")
    if is_demo(directory):
        return True
    if any(directory.iterdir()):
        raise Conflict(
            f"{directory} is not empty and holds no previous demo (no {MARKER} file); "
            "give a new or empty folder, or a folder written by 'ombud demo --init'"
        )
    return False


def _remove(directory: Path, names: tuple[str, ...]) -> None:
    for name in names:
        (directory / name).unlink(missing_ok=True)


def read_marker(directory: Path) -> dict[str, str]:
    """The demo's marker data (its secret key and creation time)."""
    data: dict[str, str] = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    return data


def write_marker(directory: Path) -> None:
    """Mark ``directory`` as a demo folder, with a secret key of its own."""
    data = {"created_at": utcnow().isoformat(), "secret_key": secrets.token_urlsafe(48)}
    write_private(directory / MARKER, json.dumps(data, indent=2) + "\n")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner may read (0600 from the start, no window)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def write_env_file(directory: Path) -> Path:
    """Write the demo's settings as ``DIR/ombud.env`` (0600) for ``OMBUD_CONFIG``."""
    lines = ["# Settings of the Ombud demo in this folder: export OMBUD_CONFIG=<this file>"]
    for name in SHARED_SETTINGS:
        value = os.environ.get(name)
        if value is not None:
            lines.append(f"{name}={json.dumps(value, ensure_ascii=False)}")
    path = directory / ENV_FILE
    write_private(path, "\n".join(lines) + "\n")
    return path


def write_datamap(directory: Path) -> list[Path]:
    """Copy the demo data map into ``directory/datamap`` with the app_db URL made absolute."""
    target = directory / "datamap"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    written: list[Path] = []
    for source in sorted(DATAMAP_SOURCE.glob("*.yaml")):
        text = source.read_text(encoding="utf-8")
        if PACKAGED_URL in text:
            text = text.replace(PACKAGED_URL, f"url: {app_db_url(directory)}")
        dest = target / source.name
        dest.write_text(text, encoding="utf-8")
        written.append(dest)
    # Files the map names (the brand's logo) travel with it.
    for source in sorted(DATAMAP_SOURCE.glob("*.svg")):
        shutil.copyfile(source, target / source.name)
    connection = load_datamap(target).get_connection(CONNECTION_NAME)
    if connection is None or connection.url != app_db_url(directory):
        raise RuntimeError(f"the demo data map lacks the {CONNECTION_NAME} connection")
    return written


def write_app_db(
    directory: Path, *, people: int, seed: int, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Create ``directory/app.db`` afresh and fill it with ``people`` generated people."""
    _remove(directory, APP_FILES)
    engine = create_engine(app_db_url(directory))
    try:
        create_schema(engine)
        return populate(engine, people=people, seed=seed, progress=progress)
    finally:
        engine.dispose()


def init_demo(
    directory: Path,
    *,
    people: int = 5000,
    seed: int = 1234,
    progress: Callable[[int], None] | None = None,
) -> InitResult:
    """Write the data map and the application database into ``directory`` (no serving).

    A previous demo in ``directory`` is replaced, its store included (it described other data)."""
    directory = directory.expanduser().resolve()
    replaced = check_folder(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if replaced:
        _remove(directory, STORE_FILES)
    else:
        write_marker(directory)
    files = write_datamap(directory)
    counts = write_app_db(directory, people=people, seed=seed, progress=progress)
    return InitResult(directory, files, directory / "app.db", counts, replaced)


def use_demo_settings(directory: Path, *, base_url: str) -> Path:
    """Point this process's settings at the demo folder (before any settings are read) and
    write them to ``DIR/ombud.env`` for other shells; return that file."""
    os.environ["OMBUD_DATABASE_URL"] = store_url(directory)
    os.environ["OMBUD_DATAMAP_PATH"] = str(directory / "datamap")
    os.environ["OMBUD_DATA_DIR"] = str(directory / "var")
    os.environ["OMBUD_BASE_URL"] = base_url
    marker = read_marker(directory)
    if keys.weakness(marker.get("secret_key", "")) is not None:
        # Demos written before keys had to be strong: give this one a key that passes.
        marker["secret_key"] = secrets.token_urlsafe(48)
        write_private(directory / MARKER, json.dumps(marker, indent=2) + "\n")
    (directory / MARKER).chmod(0o600)
    os.environ["OMBUD_SECRET_KEY"] = marker["secret_key"]
    os.environ["OMBUD_MAIL_SENDER"] = f"privacy@{company_domain()}"
    if "OMBUD_SMTP_HOST" not in os.environ:
        # No mail server configured: keep the demo's mail as files the user can open.
        os.environ.setdefault("OMBUD_MAIL_OUTBOX", str(directory / "outbox"))
    # The demo server carries out approved requests itself (no separate `ombud requests run`).
    os.environ.setdefault("OMBUD_EXECUTE_IN_SERVER", "true")
    env_file = write_env_file(directory)
    get_settings.cache_clear()
    get_engine.cache_clear()
    return env_file


def prepare_store(directory: Path) -> StoreResult:
    """Migrate the demo's store, apply its data map, make sure an admin and a token exist.

    Call ``use_demo_settings`` first. The admin's password is returned only when the admin is
    created now; a token is issued on every call (tokens are shown once)."""
    # Imported here: the staff and data map services pull in the ORM models and their engine.
    from ombud.datamap import service as datamap_service
    from ombud.demo import requests as demo_requests
    from ombud.staff import service as staff_service

    url = get_settings().database_url
    (directory / "var").mkdir(exist_ok=True)
    upgrade(url)
    admin = f"admin@{company_domain()}"
    password: str | None = None
    with unit_of_work() as session:
        version, _created = datamap_service.apply(
            session, path=directory / "datamap", author="ombud demo"
        )
        try:
            new_password = secrets.token_urlsafe(15)
            staff_service.create_user(
                session, email=admin, password=new_password, role="admin", name="Demo admin"
            )
            session.flush()
            password = new_password
        except Conflict:
            pass  # a previous run created the admin (create_user checks before writing)
        issued = staff_service.create_token(session, email=admin, name="ombud demo")
        number = version.number
        statement = publish_statement(session)
    with unit_of_work() as session:
        samples = len(demo_requests.seed(session, staff_email=admin))
    get_engine().dispose()
    return StoreResult(url, number, admin, password, issued.secret, statement, samples)


def publish_statement(session: Session) -> int:
    """Publish the statement of the map in force unless the latest version already says the
    same: a newcomer sees a published statement, not a draft. Returns the version in force."""
    from ombud.notices import service as notices

    try:
        return notices.publish(session, get_settings(), actor="ombud demo").version.number
    except Conflict:
        latest = notices.list_versions(session)[0]
        return latest.number
