"""Keys derived per purpose; weak keys refused; rotation keeps old links valid until expiry."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from ombud import keys
from ombud.config import Settings
from ombud.consent import preferences, tokens
from ombud.dsr import sealing
from ombud.execution import export_links, package
from tests.fixtures.api import OTHER_SECRET_KEY, TEST_SECRET_KEY, Clock


def test_hkdf_matches_rfc_5869_test_case_1() -> None:
    # RFC 5869 appendix A.1 (SHA-256).
    ikm = bytes.fromhex("0b" * 22)
    salt = bytes.fromhex("000102030405060708090a0b0c")
    info = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
    okm = keys.hkdf(ikm, info, length=42, salt=salt)
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


@pytest.mark.parametrize(
    "good",
    [secrets.token_urlsafe(32), secrets.token_hex(32), secrets.token_urlsafe(48), TEST_SECRET_KEY],
)
def test_random_keys_are_accepted(good: str) -> None:
    assert keys.weakness(good) is None
    assert Settings(secret_key=SecretStr(good)).secret_key is not None


@pytest.mark.parametrize(
    ("weak", "why"),
    [
        ("change-me-in-production", "published"),
        (secrets.token_urlsafe(16), "fewer than 32 bytes"),
        (secrets.token_hex(16), "fewer than 32 bytes"),
        ("a" * 64, "not random"),
        ("abcd" * 16, "not random"),
        ("0" * 64, "not random"),
    ],
)
def test_weak_keys_are_refused_without_echoing_them(weak: str, why: str) -> None:
    with pytest.raises(ValidationError) as err:
        Settings(secret_key=SecretStr(weak))
    message = str(err.value)
    assert "OMBUD_SECRET_KEY" in message and why in message
    assert weak not in message


def test_a_weak_old_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="key #2 of OMBUD_SECRET_KEYS_OLD"):
        Settings(secret_key=TEST_SECRET_KEY, secret_keys_old=f"{OTHER_SECRET_KEY},short")


def test_missing_key_is_named() -> None:
    with pytest.raises(keys.SecretKeyError, match="OMBUD_SECRET_KEY is not set"):
        keys.require(Settings(secret_key=None))


def test_each_purpose_has_its_own_key() -> None:
    s = Settings(secret_key=TEST_SECRET_KEY)
    contexts = [keys.CONSENT_LINKS, keys.EXPORT_LINKS, keys.AUDIT_CHAIN, keys.CSRF, keys.SEALING]
    derived = {keys.current(s, c) for c in contexts}
    assert len(derived) == len(contexts)
    assert keys.key_material(TEST_SECRET_KEY) not in derived


def _rotated() -> tuple[Settings, Settings]:
    old = Settings(secret_key=OTHER_SECRET_KEY, base_url="http://x")
    new = Settings(
        secret_key=TEST_SECRET_KEY, secret_keys_old=OTHER_SECRET_KEY, base_url="http://x"
    )
    return old, new


def test_rotation_keeps_old_links_until_they_expire(frozen_clock: Clock) -> None:
    old, new = _rotated()
    made_before = tokens.sign(tokens.UNSUBSCRIBE, {"h": "x", "p": "news"}, old)
    assert preferences.load_unsubscribe(made_before, new) == ("x", "news")
    # New links are signed with the new key: a server still on the old key refuses them.
    made_after = tokens.sign(tokens.UNSUBSCRIBE, {"h": "x", "p": "news"}, new)
    with pytest.raises(tokens.InvalidLink):
        preferences.load_unsubscribe(made_after, old)
    # Without the old key listed, old links stop working.
    alone = Settings(secret_key=TEST_SECRET_KEY)
    with pytest.raises(tokens.InvalidLink):
        preferences.load_unsubscribe(made_before, alone)
    frozen_clock.advance(days=new.unsubscribe_ttl_days + 1)
    with pytest.raises(tokens.ExpiredLink):
        preferences.load_unsubscribe(made_before, new)


def test_rotation_keeps_export_links_and_sealed_passphrases(frozen_clock: Clock) -> None:
    old, new = _rotated()
    url, _expires = export_links.sign(old, export_id="e" * 32, request_id="r1")
    assert export_links.unsign(new, url.rsplit("/", 1)[1]) == ("e" * 32, "r1")
    sealed = sealing.seal(old, "correct horse")
    assert sealing.unseal(new, sealed, request_id="r1") == "correct horse"


def test_identity_hashes_survive_rotation() -> None:
    from ombud.consent import ledger

    old, new = _rotated()
    assert ledger.email_subject("a@example.com", old).hash == (
        ledger.email_subject("a@example.com", new).hash
    )
    # Mail tokens: made under the old key, verified under the new list.
    subject = ledger.email_subject("a@example.com", old)
    token = tokens.read_mail(tokens.sign_mail(subject.hash, "news", old))
    assert tokens.verify_mail(token, subject.hash, "news", new)


def test_export_ids_never_leave_the_export_folder(tmp_path: Path) -> None:
    s = Settings(secret_key=TEST_SECRET_KEY, data_dir=tmp_path)
    (tmp_path / "secret.zip").write_bytes(b"x")
    (tmp_path / "exports").mkdir()
    for bad in ("../secret", "/etc/passwd", "..", "a/../../secret"):
        with pytest.raises(package.NotFound):
            package.find(s, bad)
    # A link planted in the folder under an export's name leads nowhere either, whether the
    # result recorded the download name or not.
    (tmp_path / "exports" / "planted.zip").symlink_to(tmp_path / "secret.zip")
    (tmp_path / "exports" / "named.acme-data.zip").symlink_to(tmp_path / "secret.zip")
    with pytest.raises(package.NotFound):
        package.find(s, "planted")
    with pytest.raises(package.NotFound):
        package.find(s, "named", "acme-data.zip")
    # A real package beside them is found.
    (tmp_path / "exports" / "real.zip").write_bytes(b"PK")
    assert package.find(s, "real").name == "real.zip"
