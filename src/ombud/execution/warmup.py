"""A runner's first-use work done when it starts, not on its first request.

A process's first request used to take 45-70 ms more than the next ones: Jinja compiled the
letters' and the package's templates, and the connector modules (with their drivers) were
imported, all inside that request. With several worker processes, each one's first request
showed up as the p95 of one request at a time. ``ombud worker`` and the server's background
runner call ``warm`` as they start; what is left of the difference (15-20 ms in process) is
SQLAlchemy compiling each statement on its first use."""

from __future__ import annotations

import logging
import time

from ombud.connectors import base as connectors
from ombud.web.render import environment

log = logging.getLogger(__name__)

# The templates a request's completion renders: letters and the access package's pages.
PREFIXES = ("email/", "execution/")


def warm() -> float:
    """Compile the request path's templates and import the connectors; seconds taken."""
    started = time.perf_counter()
    env = environment()
    for name in env.list_templates():
        if name.startswith(PREFIXES):
            env.get_template(name)
    connectors.registered()  # imports the built-in connectors and their drivers
    took = time.perf_counter() - started
    log.debug("warmed the request path in %.0f ms", took * 1000)
    return took
