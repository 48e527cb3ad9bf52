"""The statement says, section by section, what the data map says, in plain words."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pytest

from ombud.consent.cookies import OWN_COOKIES
from ombud.datamap.loader import DataMapInvalid, check_files, load_datamap, read_files
from ombud.datamap.schemas import DataMap, SectionText
from ombud.errors import InvalidInput
from ombud.notices import words
from ombud.notices.blocks import Statement, section_text
from ombud.notices.render import build, render_html, render_markdown, standalone_html
from ombud.notices.sections import SECTION_KEYS, SECTIONS
from tests.notices.conftest import DATAMAP_DIR, DEMO_DIR, assert_valid_html, with_recipient


def texts(statement: Statement) -> dict[str, str]:
    return {s.key: section_text(s) for s in statement.sections}


def test_every_section_is_there_in_order_with_a_stable_anchor(datamap: DataMap) -> None:
    statement = build(datamap, honour_dnt=False)
    keys = tuple(s.key for s in statement.sections)
    # Sections with nothing to say for this map (no processor role) are left out, in order.
    assert keys == tuple(k for k in SECTION_KEYS if k in keys)
    assert set(SECTION_KEYS) - set(keys) == {"hosted_data"}
    html = render_html(statement)
    for section in statement.sections:
        assert f'<section id="{section.anchor}"' in html
        assert f'<a href="#{section.anchor}">{section.title}</a>' in html
    assert "who-we-are" in html and "do-not-track" in html


def test_who_we_are_names_entities_addresses_and_dpo(datamap: DataMap) -> None:
    text = texts(build(datamap, honour_dnt=False))["who_we_are"]
    assert "Lumen Mail GmbH (controller)" in text
    assert "Torstraße 12" in text and "10119 Berlin" in text and "Germany" in text
    assert "Lumen Mail UK Ltd (our representative)" in text
    assert "Dana Ortiz" in text and "dpo@lumen.example" in text


def test_data_is_grouped_by_source_in_plain_words(datamap: DataMap) -> None:
    text = texts(build(datamap, honour_dnt=False))["data_we_collect"]
    provided, rest = text.split("Data we collect automatically")
    automatic, third = rest.split("Data we obtain from third parties")
    # The map names this category itself (no explanation); Ombud explains the others.
    assert "Email address, used for: Providing your mailbox and Product newsletter" in provided
    assert "IP address: The internet address your device connects from." in automatic
    assert "IP address" in automatic and "IP address" not in provided
    assert (
        "Financial information: Payments, invoices and bank details. Used for: Fraud signals"
        in (third)
    )
    # system.operations describes the system, not a person
    assert "Operations" not in text


def test_purposes_and_legal_bases(datamap: DataMap) -> None:
    text = texts(build(datamap, honour_dnt=False))["how_we_use_it"]
    assert "Billing and invoices | Payment card details and Postal address | to comply" in text
    assert "our legitimate interests: detecting abuse and attacks on our mail servers" in text
    assert "your consent" in text
    # a declaration without its own name is called by its data use, in plain words
    assert "Usage statistics" in text and "Analytics for Reporting" not in text


def test_no_taxonomy_key_appears_raw(datamap: DataMap) -> None:
    md = render_markdown(build(datamap, honour_dnt=False), base_url="https://x.example")
    used = {k for s in datamap.system for d in s.privacy_declarations for k in d.data_categories}
    used |= {d.data_use for s in datamap.system for d in s.privacy_declarations}
    used |= {"standard_contractual_clauses", "legitimate_interests", "strictly_necessary"}
    for key in used:
        assert key not in md, f"raw key {key} in the statement"


def test_sharing_says_whether_data_is_sold(datamap: DataMap) -> None:
    text = texts(build(datamap, honour_dnt=False))["sharing"]
    assert "We do not sell your personal data." in text
    assert "Stripe Inc. | Payment processing | United States | Payment card details" in text
    assert "Public authorities" in text and "Finanzamt Berlin" in text
    seller = with_recipient(
        datamap, fides_key="adbroker", name="AdBroker Ltd", country="IE", role="partner"
    )
    seller.recipient[-1].sells_data = True
    text = texts(build(seller, honour_dnt=False))["sharing"]
    assert "We sell personal data to AdBroker Ltd" in text
    assert "We do not sell" not in text


def test_a_recipient_added_to_the_data_map_appears_with_its_safeguard(datamap: DataMap) -> None:
    before = texts(build(datamap, honour_dnt=False))
    assert "Textbird" not in before["sharing"]
    added = with_recipient(
        datamap,
        fides_key="textbird",
        name="Textbird Inc.",
        country="US",
        safeguard="binding_corporate_rules",
    )
    after = texts(build(added, honour_dnt=False))
    assert "Textbird Inc. | Sending text messages | United States" in after["sharing"]
    assert (
        "Textbird Inc. | United States | binding corporate rules"
        in after["international_transfers"]
    )


def test_transfers_list_only_recipients_outside_the_eea(datamap: DataMap) -> None:
    text = texts(build(datamap, honour_dnt=False))["international_transfers"]
    assert "standard contractual clauses (GDPR Art. 46(2)(c)); EU SCC module 2 of 2021" in text
    assert "Statsly Analytics | United States | an adequacy decision" in text
    assert "Hetzner" not in text
    inside = datamap.model_copy(update={"recipient": datamap.recipient[:1]})
    assert "do not transfer" in texts(build(inside, honour_dnt=False))["international_transfers"]


def test_security_cookies_and_retention(datamap: DataMap) -> None:
    t = texts(build(datamap, honour_dnt=False))
    assert "Two-factor authentication for all staff accounts" in t["security"]
    assert (
        "lm_session | Lumen Mail | Strictly necessary | Session | Keeps you signed in"
        in t["cookies"]
    )
    assert "_stats | Statsly Analytics | Analytics | 1 year" in t["cookies"]
    # The cookies Ombud's own pages set are listed too, as strictly necessary.
    for own in OWN_COOKIES:
        assert f"{own.name} | Lumen Mail | Strictly necessary | {own.duration} |" in t["cookies"]
    assert "change your choices at any time in the preference center" in t["cookies"]
    assert "Mailbox content | 30 days | deleted | after you close your account" in t["retention"]
    assert (
        "Invoices | 10 years | deleted | tax law requires us to keep invoices (§ 147 AO)"
        in t["retention"]
    )
    assert (
        "Invoices: we keep this data for 10 years even if you ask us to delete it" in t["retention"]
    )
    assert "Keeping the service secure | 90 days" in t["retention"]
    assert (
        "IP address and Device identifier | Keeping the service secure | Mail platform"
        in t["technical_data"]
    )


def test_rights_deadlines_signals_complaints_changes_contact(datamap: DataMap) -> None:
    statement = build(datamap, honour_dnt=False)
    t = texts(statement)
    assert "not meant for children under 16" in t["children"]
    assert "portability" in t["your_rights"] and "opt out of the sale" in t["california"]
    assert "EU General Data Protection Regulation | one month | 2 months" in t["your_rights"]
    assert "45 calendar days | 45 calendar days" in t["your_rights"]
    assert "We do not respond to Do Not Track" in t["do_not_track"]
    assert "Global Privacy Control" in t["do_not_track"]
    honoured = texts(build(datamap, honour_dnt=True))["do_not_track"]
    assert "We honour Do Not Track (DNT: 1) signals" in honoured
    assert (
        "Berliner Beauftragte" in t["complaints"] and "Mail Industry Ombudsman" in t["complaints"]
    )
    assert "privacy@lumen.example" in t["contact"]
    html = render_html(statement)
    for href in (
        "/privacy/request",
        "/privacy/preferences",
        "/privacy/statement/feed.xml",
        "/privacy/statement/versions",
        "/privacy/sub-processors",
    ):
        assert f'href="{href}"' in html


def test_own_markdown_is_appended_or_replaces_generated_text(datamap: DataMap) -> None:
    statement = build(datamap, honour_dnt=False)
    html = render_html(statement)
    children = html.split('id="children"')[1].split("</section>")[0]
    assert "not meant for children under 16" in children
    assert "<strong>only for adults</strong>" in children
    others = html.split('id="other-sites"')[1].split("</section>")[0]
    assert "<em>help centre</em>" in others
    assert "read the privacy statement of each site" not in others
    prepend = datamap.model_copy(
        update={"statement": {"security": SectionText(mode="prepend", markdown="# Audited\n")}}
    )
    security = render_html(build(prepend, honour_dnt=False)).split('id="security"')[1]
    assert security.index("<h3>Audited</h3>") < security.index("Two-factor")


def test_own_markdown_cannot_inject_html(datamap: DataMap) -> None:
    hostile = datamap.model_copy(
        update={"statement": {"contact": SectionText(markdown="<script>alert(1)</script>")}}
    )
    html = render_html(build(hostile, honour_dnt=False))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_unknown_section_key_or_mode_is_refused(datamap: DataMap) -> None:
    bad = datamap.model_copy(update={"statement": {"cookie_policy": SectionText(markdown="x")}})
    with pytest.raises(InvalidInput, match=r"statement\.cookie_policy: no such section"):
        build(bad, honour_dnt=False)
    bad = datamap.model_copy(
        update={"statement": {"cookies": SectionText(mode="insert", markdown="x")}}
    )
    with pytest.raises(InvalidInput, match="not append, prepend or replace"):
        build(bad, honour_dnt=False)


def test_standalone_html_of_the_demo_statement_is_valid() -> None:
    demo = load_datamap(DEMO_DIR)
    statement = build(demo, honour_dnt=False)
    page = standalone_html(render_html(statement), org_name=demo.organization.name, meta="Draft")
    assert_valid_html(page)
    assert demo.organization.name in page
    for recipient in demo.recipient:
        assert recipient.name.replace("&", "&amp;") in page


def test_markdown_escapes_data_map_text(datamap: DataMap) -> None:
    md = render_markdown(build(datamap, honour_dnt=False), base_url="https://x.example")
    assert "lm\\_session" in md
    assert "[request form](https://x.example/privacy/request)" in md
    assert '<a id="cookies"></a>' in md


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("P30D", "30 days"),
        ("P1Y", "1 year"),
        ("P1Y6M", "1 year and 6 months"),
        ("P2W", "2 weeks"),
        ("10 years", "10 years"),
        (None, "no fixed period: as long as needed for the purpose"),
    ],
)
def test_periods_in_words(value: str | None, expected: str) -> None:
    assert words.period(value) == expected


DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_docs_example_covers_the_demo_data_map() -> None:
    demo = load_datamap(DEMO_DIR)
    html = (DOCS / "statement-example.html").read_text(encoding="utf-8")
    md = (DOCS / "statement-example.md").read_text(encoding="utf-8")
    assert_valid_html(html)
    for key, title, _ in SECTIONS:
        if key == "hosted_data" and demo.organization.as_processor is None:
            continue
        assert f"## {title}\n" in md
        assert f">{title}</h2>" in html
    for recipient in demo.recipient:
        assert escape(recipient.name, quote=False) in html, recipient.name
    for cookie in [*demo.cookie, *OWN_COOKIES]:
        assert cookie.name.replace("_", "\\_") in md, cookie.name
    assert "Answer your privacy requests" in md  # Ombud's own processing is a system too
    assert demo.organization.name in html


def test_a_transfer_without_safeguard_is_refused_when_validating() -> None:
    files = read_files(DATAMAP_DIR)
    files["extra.yml"] = (
        "recipient:\n  - {fides_key: textbird, name: Textbird Inc., role: processor,\n"
        "     purpose: Texts, country: US}\n"
    )
    with pytest.raises(DataMapInvalid) as caught:
        check_files(files)
    assert any("no safeguard" in str(p) for p in caught.value.problems)


def test_postal_addresses_follow_each_countrys_format() -> None:
    from ombud import i18n
    from ombud.datamap.schemas import Address
    from ombud.notices.blocks import plain
    from ombud.notices.context import postal_lines

    def lines(address: Address, language: str = "en") -> list[str]:
        with i18n.use(language):
            return [plain(line) for line in postal_lines(address)]

    us = Address(street="1001 SE Water Ave", city="Portland", region="OR", postcode="97214",
                 country="US")  # fmt: skip
    assert lines(us) == ["1001 SE Water Ave", "Portland, OR 97214", "United States"]
    gb = Address(street="71-75 Shelton Street", city="London", postcode="WC2H 9JQ", country="GB")
    assert lines(gb) == ["71-75 Shelton Street", "London", "WC2H 9JQ", "United Kingdom"]
    de = Address(street="Oranienstraße 183", city="Berlin", postcode="10999", country="DE")
    assert lines(de, "de") == ["Oranienstraße 183", "10999 Berlin", "Deutschland"]
