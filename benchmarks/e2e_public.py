"""The public way into the end-to-end benchmark: each person makes their request through the
public API, the code is read from the letter the server sent them, and sent back to confirm.

Staff-created requests (the benchmark's default) skip the code; this way the intake's own
cost and the code check (the ``verification`` phase) show in the figures too."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from benchmarks.e2e_harness import letters_in, read_letter

# The code stands alone on an indented line of the verification letter.
CODE_RE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)
# Client threads: the server, not the client, should be what waits.
THREADS = 4
# Public actions the benchmark's server allows (the defaults are for real visitors).
LIMITS = {
    "OMBUD_RATE_LIMIT_PER_IP": "100000000",
    "OMBUD_RATE_LIMIT_PER_IDENTITY": "1000",
    "OMBUD_RATE_LIMIT_PER_TARGET": "1000",
}


class Public:
    """People making requests: the public intake, the code from their letters, the check."""

    def __init__(self, base: str, mail: str, folder: Path) -> None:
        self.http = httpx.Client(base_url=base, timeout=300)
        self.mail, self.folder = mail, folder
        self.read: set[Path] = set()
        self.codes: dict[str, str] = {}

    def submit(self, kind: str, people: list[int]) -> dict[str, str]:
        """One public request per person: {address: request id}."""

        def one(n: int) -> tuple[str, str]:
            address = f"user{n}@example.com"
            res = self.http.post(
                "/api/v1/requests", json={"type": kind, "email": address, "country": "DE"}
            )
            if res.status_code != 201:
                raise RuntimeError(f"public intake for {address}: {res.status_code} {res.text}")
            return address, str(res.json()["id"])

        with ThreadPoolExecutor(THREADS) as pool:
            return dict(pool.map(one, people))

    def confirm(self, made: dict[str, str]) -> list[str]:
        """Send each person's code (read from the letters sent so far); the request ids."""
        self._read_letters()
        missing = [a for a in made if a not in self.codes]
        if missing:
            raise RuntimeError(f"no code was mailed to {len(missing)} people, e.g. {missing[0]}")

        def one(address: str) -> None:
            rid = made[address]
            res = self.http.post(
                f"/api/v1/requests/{rid}/verify", json={"code": self.codes.pop(address)}
            )
            if res.status_code != 200:
                raise RuntimeError(f"code check for {rid}: {res.status_code} {res.text}")

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(one, made))
        return list(made.values())

    def _read_letters(self) -> None:
        """Take the code out of every verification letter not read yet."""
        for path in letters_in(self.mail, self.folder):
            if path in self.read:
                continue
            self.read.add(path)
            msg, text = read_letter(path)
            match = CODE_RE.search(text)
            if match:
                self.codes[str(msg["To"]).strip().lower()] = match.group(1)
