"""Letters built with the remembering header factory and the folding policy are byte for byte
what the standard policy writes, for any sender, recipient, subject, extra headers and body,
and for each way of writing them (file, SMTP's CRLF, SMTPUTF8)."""

from __future__ import annotations

import email.policy
import io
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import Policy

from hypothesis import given, settings
from hypothesis import strategies as st

from ombud import mail
from ombud.config import Settings

SETTINGS = Settings(mail_sender="Privacy Team <privacy@example.com>")
# Header text: any printable text on one line, non-ASCII and long values included.
line = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=120
).filter(lambda s: s.strip() != "")
address = st.sampled_from(
    ["ana@example.com", "Zoë Ünal <zoe@example.org>", '"Doe, Jo" <jo@example.net>', "x@y.z"]
)
extra = st.dictionaries(
    st.sampled_from(["List-Unsubscribe", "Auto-Submitted", "X-Ombud-Request", "Precedence"]),
    line,
    max_size=3,
)


def _written(msg: EmailMessage, policy: Policy) -> list[bytes]:
    """``msg`` as a file holds it, and as SMTP sends it (CRLF; CRLF and SMTPUTF8)."""
    out = [msg.as_bytes()]
    for variant in (policy.clone(linesep="\r\n"), policy.clone(linesep="\r\n", utf8=True)):
        buffer = io.BytesIO()
        BytesGenerator(buffer, policy=variant).flatten(msg)
        out.append(buffer.getvalue())
    return out


def _standard(built: EmailMessage, text: str, headers: dict[str, str]) -> EmailMessage:
    """The same letter through ``email.policy.default``, with the built one's date and id."""
    msg = EmailMessage(policy=email.policy.default)
    for name in ("From", "To", "Subject", "Date", "Message-ID"):
        msg[name] = str(built[name])
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(text)
    return msg


@settings(max_examples=150, deadline=None)
@given(to=address, subject=line, text=st.text(max_size=400), headers=extra)
def test_the_bytes_are_the_standard_policys(
    to: str, subject: str, text: str, headers: dict[str, str]
) -> None:
    # Twice: the second build takes every header it can, and its folded bytes, from what the
    # first remembered.
    for _ in range(2):
        built = mail.build_message(
            SETTINGS, to=to, subject=subject, text=text, headers=headers, message_id="<a@b.c>"
        )
        standard = _standard(built, text, headers)
        assert _written(built, built.policy) == _written(standard, email.policy.default)


def test_a_shared_header_is_folded_once_per_way_of_writing() -> None:
    first = mail.build_message(SETTINGS, to="a@example.com", subject="One", text="x")
    second = mail.build_message(SETTINGS, to="b@example.com", subject="Two", text="y")
    sender, again = first.get_all("From"), second.get_all("From")
    assert sender is not None and again is not None
    assert sender[0] is again[0]  # one parsed header, shared
    _written(first, first.policy)
    folds = sender[0].__dict__[mail._FOLDS]
    assert len(folds) == 3  # file, CRLF, CRLF with SMTPUTF8
    before = dict(folds)
    _written(second, second.policy)
    assert folds == before and all(folds[k] is before[k] for k in folds)


def test_the_factory_shares_parsed_headers_and_forgets_old_ones() -> None:
    factory = mail._RememberingRegistry()
    first = factory("Subject", "Hello")
    assert factory("Subject", "Hello") is first
    assert factory["subject"] is factory["Subject"]  # one class per name
    for i in range(factory.SIZE):
        factory("Subject", f"other {i}")
    assert factory("Subject", "Hello") is not first  # it was the oldest: forgotten
    assert factory("Subject", "Hello") == "Hello"
