"""The person's choice of package encryption: checking an age recipient at intake, and
keeping a passphrase sealed in the store until the package is built.

A passphrase is sealed with age (pyrage, the library that encrypts the package) to an X25519
key derived from ``secret_key``: the store alone never reveals it, and sealing costs
milliseconds. age's own passphrase mode runs scrypt for seconds, which the public intake
should not spend per request."""

from __future__ import annotations

import base64
import binascii

import pyrage

from ombud import keys
from ombud.config import Settings
from ombud.errors import Conflict

PASSPHRASE_MIN = 12
PASSPHRASE_MAX = 1024

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def check_recipient(value: str) -> str:
    """The recipient, trimmed, if it is an age X25519 public key; else ``ValueError``."""
    value = value.strip()
    try:
        pyrage.x25519.Recipient.from_str(value)
    except pyrage.RecipientError as exc:
        raise ValueError(
            f"not a valid age recipient ({exc}); give the public key that age-keygen or "
            "rage-keygen prints, starting with 'age1'"
        ) from None
    return value


def check_passphrase(value: str) -> str:
    """The passphrase if long enough to protect a package sent over email links."""
    if len(value) < PASSPHRASE_MIN:
        raise ValueError(f"must be at least {PASSPHRASE_MIN} characters long")
    if len(value) > PASSPHRASE_MAX:
        raise ValueError(f"must be at most {PASSPHRASE_MAX} characters long")
    return value


def _polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_GENERATOR):
            if (top >> i) & 1:
                check ^= gen
    return check


def _bech32(hrp: str, data: bytes) -> str:
    # age writes its keys in Bech32 (BIP 173); pyrage reads keys only as such strings.
    words: list[int] = []
    acc = bits = 0
    for byte in data:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            words.append((acc >> bits) & 31)
    if bits:
        words.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    poly = _polymod(expanded + words + [0] * 6) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[w] for w in words + checksum)


def _identity(key: bytes) -> pyrage.x25519.Identity:
    return pyrage.x25519.Identity.from_str(_bech32("age-secret-key-", key).upper())


def identity(key: bytes) -> pyrage.x25519.Identity:
    """The age identity made from 32 key bytes (other domains seal their secrets with it)."""
    return _identity(key)


def seal(settings: Settings, passphrase: str) -> str:
    """The passphrase encrypted to the store's sealing key, as base64 text."""
    public = _identity(keys.current(settings, keys.SEALING)).to_public()
    locked: bytes = pyrage.encrypt(passphrase.encode(), [public])
    return base64.b64encode(locked).decode("ascii")


def unseal(settings: Settings, sealed: str, *, request_id: str) -> str:
    """The passphrase back; ``Conflict`` when ``secret_key`` changed since it was sealed."""
    try:
        # Old keys still open what they sealed (OMBUD_SECRET_KEYS_OLD).
        identities = [_identity(k) for k in keys.accepted(settings, keys.SEALING)]
        opened: bytes = pyrage.decrypt(base64.b64decode(sealed), identities)
    except (pyrage.DecryptError, binascii.Error, ValueError):
        raise Conflict(
            f"cannot open the sealed package passphrase of request {request_id}: it was sealed "
            "with another OMBUD_SECRET_KEY; restore that key, or cancel the request and ask "
            "the person to make it again"
        ) from None
    return opened.decode()
