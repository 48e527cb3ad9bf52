"""Semantic checks: each bad input is reported with its exact file:line:column."""

from __future__ import annotations

from pathlib import Path

from ombud.datamap.loader import load_datamap
from tests.datamap.helpers import FIDES, VALID, map_with, problems_of


def test_valid_maps_have_no_problems() -> None:
    assert load_datamap(VALID).organization.fides_key == "mailhaven"
    assert load_datamap(FIDES).organization.fides_key == "default_organization"


def test_unknown_data_category_suggests_nearest(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        system:
          - fides_key: crm
            name: CRM
            privacy_declarations:
              - data_use: marketing.comunications.email
                data_categories: [user.name, user.contact.emial]
                data_subjects: [custmer]
        """,
    )
    f = f"{folder}/extra.yml"
    assert problems_of(folder) == [
        f"{f}:5:19: unknown data use 'marketing.comunications.email'; "
        "did you mean 'marketing.communications.email'?",
        f"{f}:6:38: unknown data category 'user.contact.emial'; did you mean 'user.contact.email'?",
        f"{f}:7:25: unknown data subject 'custmer'; did you mean 'customer'?",
    ]


def test_custom_taxonomy_entry_is_accepted(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        data_category:
          - fides_key: user.mailbox_quota
            name: Mailbox quota
            parent_key: user
        recipient:
          - fides_key: acme
            name: Acme
            role: partner
            purpose: Ads
            country: FR
            data_categories: [user.mailbox_quota]
        """,
    )
    m = load_datamap(folder)
    assert any(e["fides_key"] == "user.mailbox_quota" for e in m.taxonomy["data_category"])


def test_missing_reference_targets(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        dataset:
          - fides_key: support
            connection: helpdesk
            collections:
              - name: tickets
                fields:
                  - name: account_id
                    data_categories: [user.unique_id]
                    fides_meta:
                      references:
                        - {dataset: app_db, field: accounts.uid, direction: from}
                        - {dataset: ghost, field: a.b, direction: from}
                        - {dataset: app_db, field: users.id, direction: from}
        retention:
          - fides_key: tickets
            collections: [support.tickets, support.missing]
            period: P1Y
        system:
          - fides_key: desk
            name: Helpdesk
            privacy_declarations:
              - data_use: essential.service
                recipients: [zendesk]
                retention: ticket_rule
                dataset_references: [nope]
        cookie:
          - name: zd
            provider: Zendesk
            category: functional
            duration: 1 year
            purpose: Chat
            recipient: zendesk
        """,
    )
    f = f"{folder}/extra.yml"
    assert problems_of(folder) == [
        f"{f}:3:17: connection 'helpdesk' is not declared (declared: app)",
        f"{f}:11:44: field 'uid' does not exist in 'app_db.accounts'; did you mean 'id'?",
        f"{f}:12:29: dataset 'ghost' does not exist",
        f"{f}:13:44: collection 'users' does not exist in dataset 'app_db'",
        f"{f}:16:36: collection 'missing' does not exist in dataset 'support'",
        f"{f}:23:22: recipient 'zendesk' is not declared",
        f"{f}:24:20: retention rule 'ticket_rule' is not declared",
        f"{f}:25:30: dataset 'nope' does not exist",
        f"{f}:32:16: recipient 'zendesk' is not declared",
    ]


def test_third_country_transfers(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        recipient:
          - fides_key: acme
            name: Acme Inc
            role: partner
            purpose: Ads
            country: US
          - fides_key: brco
            name: BR Co
            role: processor
            purpose: Support
            country: BR
            safeguard: adequacy
          - fides_key: jp
            name: JP KK
            role: processor
            purpose: Support
            country: JP
            safeguard: adequacy
          - fides_key: norsk
            name: Norsk AS
            role: processor
            purpose: Support
            country: "NO"
        """,
    )
    f = f"{folder}/extra.yml"
    problems = problems_of(folder)
    assert len(problems) == 2
    assert problems[0].startswith(f"{f}:6:14: recipient 'acme' receives data in US, outside the")
    assert "has no safeguard" in problems[0]
    assert problems[1].startswith(
        f"{f}:12:16: recipient 'brco' claims adequacy, but BR has no EU adequacy decision"
    )


def test_unreachable_personal_collection(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        dataset:
          - fides_key: support
            collections:
              - name: tickets
                fields:
                  - name: account_id
                    data_categories: [user.unique_id]
                    fides_meta:
                      references:
                        - {dataset: app_db, field: accounts.id, direction: to}
              - name: stats
                fields:
                  - name: total
                    data_categories: [system.operations]
              - name: archive
                fides_meta: {skip_processing: true}
                fields:
                  - name: email
                    data_categories: [user.contact.email]
        """,
    )
    [problem] = problems_of(folder)
    assert problem.startswith(
        f"{folder}/extra.yml:4:15: collection 'support.tickets' holds personal data but no "
        "identity reaches it:"
    )
    assert "app_db.accounts.id point away from it: use direction: from" in problem


def test_retention_periods(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        retention:
          - fides_key: no_period
            data_categories: [user.name]
          - fides_key: hold
            data_categories: [user.financial]
            legal_hold: true
            reason: tax law
          - fides_key: bad
            data_categories: [user.name]
            period: 10 yrs
          - fides_key: nothing
            period: P1Y
        """,
    )
    f = f"{folder}/extra.yml"
    assert problems_of(folder) == [
        f"{f}:2:5: retention rule 'no_period' has no period (e.g. period: P30D or '10 years')",
        f"{f}:4:5: legal hold 'hold' has no period (e.g. period: P30D or '10 years')",
        f"{f}:10:13: period '10 yrs' is not an ISO 8601 duration (P30D, P1Y6M) or "
        "'N days|weeks|months|years'",
        f"{f}:11:16: retention rule 'nothing' applies to nothing: give data_categories or "
        "collections",
    ]


def test_duplicate_fides_keys(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        recipient:
          - fides_key: hetzner
            name: Hetzner again
            role: processor
            purpose: Backups
            country: DE
        """,
        name="zz.yml",
    )
    assert problems_of(folder) == [
        f"{folder}/zz.yml:2:16: duplicate recipient fides_key 'hetzner' "
        f"(first at {folder}/recipients.yml:2)"
    ]


def test_docs_example_is_valid(tmp_path: Path) -> None:
    docs = Path(__file__).parents[2] / "docs" / "datamap.md"
    example = docs.read_text(encoding="utf-8").split("```yaml\n")[-1].split("```")[0]
    f = tmp_path / "example.yml"
    f.write_text(example, encoding="utf-8")
    assert load_datamap(f).organization.name == "Acme GmbH"


def test_urls_accept_only_web_and_mail_links(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        recipient:
          - fides_key: evil
            name: Evil Ltd
            role: processor
            purpose: Hosting
            country: DE
            url: javascript:alert(document.cookie)
          - fides_key: data
            name: Data Ltd
            role: processor
            purpose: Hosting
            country: DE
            url: "data:text/html,<script>alert(1)</script>"
          - fides_key: fine
            name: Fine Ltd
            role: processor
            purpose: Hosting
            country: DE
            url: https://fine.example/privacy
          - fides_key: mail
            name: Mail Ltd
            role: processor
            purpose: Hosting
            country: DE
            url: mailto:privacy@mail.example
        """,
    )
    f = f"{folder}/extra.yml"
    problems = problems_of(folder)
    assert [p.split(": ", 1)[0] for p in problems] == [f"{f}:7:10", f"{f}:13:10"]
    assert all("use an https:, http: or mailto: URL" in p for p in problems)
    assert "'javascript:alert(document.cookie)'" in problems[0]


def test_dpo_and_authority_urls_are_checked(tmp_path: Path) -> None:
    folder = tmp_path / "map"
    map_with(tmp_path, "")
    org = folder / "organization.yml"
    text = org.read_text(encoding="utf-8")
    text = text.replace(
        "dpo: {name: Dana Prote, email: dpo@mailhaven.example}",
        "dpo: {name: Dana Prote, email: dpo@mailhaven.example, url: 'JavaScript:x()'}",
    ).replace(
        "supervisory_authority: {name: Berliner Beauftragte für Datenschutz, country: DE}",
        "supervisory_authority: {name: B, country: DE, url: 'data:,x'}",
    )
    org.write_text(text, encoding="utf-8")
    problems = problems_of(folder)
    assert len(problems) == 2 and all(f"{org}:" in p and "mailto: URL" in p for p in problems)
