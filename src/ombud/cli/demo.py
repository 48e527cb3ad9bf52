"""``ombud demo``: the example company Postlicht Mail GmbH, written to a folder and served."""

from __future__ import annotations

import errno
import shlex
import socket
import tempfile
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ombud.cli.common import console, fail, is_tty
from ombud.config import get_settings
from ombud.demo import setup
from ombud.demo.setup import InitResult, StoreResult
from ombud.errors import OmbudError


def _say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


def _print_init(result: InitResult) -> None:
    where = result.directory
    verb = "replaced the previous demo in" if result.replaced else "wrote the demo to"
    _say(f"[bold]{verb} {where}[/bold]")
    _say(f"  data map      {where / 'datamap'}/ ({len(result.datamap_files)} files)")
    for path in result.datamap_files:
        _say(f"                  {path.name}")
    total = sum(result.counts.values())
    _say(f"  application   {result.app_db} ({total:,} rows)")
    for table, count in result.counts.items():
        _say(f"                  {table:<20} {count:>9,}")


def _print_next(where: Path) -> None:
    _say("\n[bold]next[/bold]")
    _say(f"  ombud datamap validate {where / 'datamap'}")
    _say(f"  ombud demo --dir {where}      # serve it")
    _say("  or with your own store:")
    _say(f"  ombud db upgrade && ombud datamap apply {where / 'datamap'}")


def _print_console(store: StoreResult, base_url: str) -> None:
    _say(f"\n[bold]staff console[/bold]  {base_url}/staff")
    if store.admin_password is not None:
        _say(f"  staff login    {store.admin_email}")
        _say(f"  password       {store.admin_password}")
    else:
        _say(f"  staff login    {store.admin_email} (password shown when it was created)")
    if store.sample_requests:
        _say(f"  {store.sample_requests} sample requests wait in the queue")


def _print_store(store: StoreResult, base_url: str) -> None:
    _say(f"\n[bold]Ombud's store[/bold] {store.database_url}")
    _say(f"  data map version {store.datamap_version} applied")
    if store.statement_version is not None:
        _say(f"  privacy statement version {store.statement_version} published")
    _say(f"  API token     {store.api_token}")
    _say("  (shown once; only hashes are stored)")
    _say("\n[bold]open[/bold]")
    for path, what in (
        ("/staff", "the staff console (sign in with the login above)"),
        ("/docs", "API documentation (Authorize with the token)"),
        ("/privacy/statement", "the privacy statement"),
        ("/privacy/request", "the form for data subject requests"),
        ("/api/v1/datamap", "the data map in force (token needed)"),
    ):
        _say(f"  {base_url}{path:<22} {what}")
    outbox = get_settings().mail_outbox
    if outbox is not None:
        _say(f"\n[bold]mail[/bold] (codes, letters) is written to {outbox}/*.eml")


def _print_env(env_file: Path) -> None:
    _say("\n[bold]other shells[/bold] (same store, same key; links they make open here):")
    _say(f"  export OMBUD_CONFIG={shlex.quote(str(env_file))}")
    _say("  ombud requests list")
    _say("\nCtrl+C stops the server; the folder stays for the next run.\n")


def _generate(where: Path, *, people: int, seed: int) -> InitResult:
    """Write the demo with a progress bar of the people generated (on a terminal)."""
    _say(f"generating {people:,} people (seed {seed}) ...")
    with Progress(
        TextColumn("  people"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console, disable=not is_tty(), transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("people", total=people)
        return setup.init_demo(
            where, people=people, seed=seed, progress=lambda done: bar.update(task, completed=done)
        )


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port``, in words, or None if it can."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        # As uvicorn does: a port left in TIME_WAIT is free, one with a listener is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another Ombud demo or another "
                    f"server?); choose another port: ombud demo --port {port + 1} "
                    f"(or make demo PORT={port + 1})"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def register(root: typer.Typer) -> None:
    """Add the ``demo`` command."""

    @root.command("demo")
    def demo(
        init: Path | None = typer.Option(
            None,
            "--init",
            metavar="DIR",
            help="Write the demo (data map and application database) into DIR; do not serve.",
        ),
        directory: Path | None = typer.Option(
            None,
            "--dir",
            metavar="DIR",
            help="Folder of the demo to serve (default: a new temporary folder). A previous "
            "demo there is reused.",
        ),
        people: int = typer.Option(5000, min=1, max=2_000_000, help="How many people to generate."),
        seed: int = typer.Option(1234, help="Seed of the generator: same seed, same people."),
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    ) -> None:
        """Write the example company Postlicht Mail GmbH (data map and a database of generated
        people) and serve Ombud for it."""
        if init is not None and directory is not None:
            raise fail("give either --init DIR (write only) or --dir DIR (serve), not both")
        if init is None:
            busy = port_problem(host, port)
            if busy:
                raise fail(busy)
        try:
            if init is not None:
                setup.check_folder(init.expanduser().resolve())
                result = _generate(init, people=people, seed=seed)
                _print_init(result)
                _print_next(result.directory)
                return
            where = (directory or Path(tempfile.mkdtemp(prefix="ombud-demo-"))).expanduser()
            where = where.resolve()
            written = None
            if setup.check_folder(where) and (where / "app.db").is_file():
                _say(f"[bold]reusing the demo in {where}[/bold]")
            else:
                written = _generate(where, people=people, seed=seed)
            base_url = f"http://{host}:{port}"
            env_file = setup.use_demo_settings(where, base_url=base_url)
            store = setup.prepare_store(where)
        except OmbudError as exc:
            if isinstance(exc.detail, list):
                for line in exc.detail:
                    _say(str(line))
            raise fail(exc.message) from None
        # The console and its login come first: they are what a newcomer needs.
        _print_console(store, base_url)
        if written is not None:
            _say("")
            _print_init(written)
        _print_store(store, base_url)
        _print_env(env_file)

        import uvicorn

        from ombud.app import create_app

        uvicorn.run(create_app(), host=host, port=port, log_level="info", proxy_headers=False)
