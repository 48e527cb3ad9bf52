"""The signed links mailed to task owners: task id and link version, nothing else."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ombud import keys
from ombud.config import Settings
from ombud.errors import Forbidden, Gone

SALT = "ombud.manual.task"
INVALID = "this task link is not valid; open the link from the email exactly as it was sent"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return keys.timed_serializer(settings, keys.MANUAL_TASK_LINKS, SALT)


def token(settings: Settings, task_id: str, version: int) -> str:
    """A new signed token for this version of the task's link."""
    return str(_serializer(settings).dumps({"t": task_id, "v": version}))


def url(settings: Settings, task_id: str, version: int) -> str:
    """The owner's page for the task."""
    return f"{settings.base_url.rstrip('/')}/tasks/{token(settings, task_id, version)}"


def read(settings: Settings, value: str) -> tuple[str, int]:
    """(task id, link version) of a token; ``Gone`` when expired, ``Forbidden`` when forged."""
    max_age = settings.manual_task_link_days * 86400
    try:
        data = _serializer(settings).loads(value, max_age=max_age)
    except SignatureExpired:
        raise Gone("this task link has expired; ask the privacy team to send a new one") from None
    except BadSignature:
        raise Forbidden(INVALID) from None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise Forbidden(INVALID)
    return data["t"], int(data.get("v", 0))
