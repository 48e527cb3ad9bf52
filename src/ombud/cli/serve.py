"""``ombud serve``: run the web server."""

from __future__ import annotations

import typer

from ombud.cli.common import server_settings


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command."""

    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
        workers: int = typer.Option(1, help="Worker processes."),
    ) -> None:
        """Serve the API (/api/v1, /docs) and the public privacy pages (needs
        OMBUD_SECRET_KEY)."""
        import uvicorn

        server_settings()  # refuse before uvicorn starts workers

        # Proxy headers are trusted only as OMBUD_TRUSTED_PROXIES says (create_app), not by
        # uvicorn's own default of trusting 127.0.0.1.
        uvicorn.run(
            "ombud.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=False,
        )
