"""``ombud worker``: run Celery workers that execute requests, send mail and run the
periodic jobs (needs OMBUD_BROKER_URL); ``ombud jobs``: how the periodic jobs last ran."""

from __future__ import annotations

import os
import socket

import typer
from rich.table import Table

from ombud import db
from ombud.cli.common import cli_session, console, fail, load_settings, server_settings

# Threads a worker process may run (10): each holds a store connection while its task runs,
# and a process opens at most ``db.POOL_SIZE + db.MAX_OVERFLOW``, some of which stay for its
# own threads (``db.BACKGROUND_CONNECTIONS``: scheduler, jobs, webhooks). More threads would
# wait for connections, and fail after the pool's 30 s; start more worker processes instead.
MAX_THREADS = db.POOL_SIZE + db.MAX_OVERFLOW - db.BACKGROUND_CONNECTIONS


def register(app: typer.Typer) -> None:
    """Add the ``worker`` and ``jobs`` commands."""

    @app.command("worker")
    def worker(
        concurrency: int = typer.Option(
            4,
            min=1,
            max=MAX_THREADS,
            help="Tasks run at once (threads); for more, start more worker processes.",
        ),
        scheduler: bool = typer.Option(
            True, help="Also run the periodic jobs (each slot runs once over all workers)."
        ),
        loglevel: str = typer.Option("info", help="Log level: debug, info, warning, error."),
    ) -> None:
        """Take work from the broker (OMBUD_BROKER_URL, Redis or RabbitMQ): run approved
        requests, send queued mail, run retention and housekeeping. Start as many as needed,
        on any machine that reaches the store, the broker and the target databases."""
        settings = server_settings()
        if not settings.broker_url:
            raise fail(
                "OMBUD_BROKER_URL is not set: workers take their work from a broker "
                "(redis://HOST:6379/0 or amqp://USER:PASSWORD@HOST:5672//); without one, "
                "'ombud serve' runs everything itself",
                2,
            )
        from ombud import heap
        from ombud.db import get_engine
        from ombud.execution import warmup
        from ombud.workers.celery_app import celery_app
        from ombud.workers.scheduler import Scheduler, enabled_jobs

        jobs = enabled_jobs(settings, workers=True) if scheduler else []
        periodic = Scheduler(get_engine(), settings, jobs)
        periodic.start()
        try:
            workers = celery_app(settings)  # imports the tasks before the heap is settled
            # The first request of each worker process would otherwise compile the templates.
            warmup.warm()
            # Startup's objects out of the collector's reach (ombud.heap).
            with heap.settled():
                workers.worker_main(
                    [
                        "worker",
                        "--pool=threads",
                        f"--concurrency={concurrency}",
                        f"--loglevel={loglevel.upper()}",
                        f"--queues={settings.broker_queue}",
                        f"--hostname=ombud-{os.getpid()}@{socket.gethostname()}",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                    ]
                )
        finally:
            periodic.stop()

    @app.command("jobs")
    def jobs() -> None:
        """The periodic jobs: schedule, last slot run, by whom, and how it ended."""
        from ombud.housekeeping import JOBS
        from ombud.workers import repository

        settings = load_settings()
        with cli_session() as session:
            seen = {j.name: j for j in repository.jobs(session)}
        table = Table("job", "schedule", "last slot", "by", "finished", "last error")
        for name, job in sorted(JOBS.items()):
            schedule = job.schedule(settings)
            when = f"every {schedule:g} s" if isinstance(schedule, float | int) else schedule
            if not schedule or (isinstance(schedule, float | int) and schedule <= 0):
                when = "off"
            if job.workers_only and not settings.broker_url:
                when = "off (workers only)"
            row = seen.get(name)
            table.add_row(
                name,
                when,
                f"{row.last_slot:%Y-%m-%d %H:%M:%S}" if row and row.last_slot else "-",
                row.holder or "-" if row else "-",
                f"{row.finished_at:%Y-%m-%d %H:%M:%S}" if row and row.finished_at else "-",
                row.last_error or "" if row else "",
            )
        console.print(table)
