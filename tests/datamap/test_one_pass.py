"""Every problem of a data map in one pass, in plain words, with suggestions."""

from __future__ import annotations

from pathlib import Path

import yaml

from ombud.dsr.jurisdictions import build, override_problems
from ombud.models.requests import RequestType
from tests.datamap.helpers import map_with, problems_of


def test_structure_errors_do_not_hide_meaning_errors(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        recipient:
          - fides_key: acme
            name: Acme
            role: processor
            purpose: Ads
            contry: FR
        dataset:
          - fides_key: crm
            connection: app
            collections:
              - name: leads
                fields:
                  - name: email
                    data_categories: [user.contact.emial]
                    fides_meta: {identity: email}
        """,
    )
    problems = problems_of(folder)
    assert (
        f"{folder}/extra.yml:6:5: recipient[0]: unknown key 'contry'; did you mean 'country'?"
        in (problems)
    )
    assert f"{folder}/extra.yml:2:5: recipient[0]: missing required key 'country'" in problems
    emial = [p for p in problems if "user.contact.emial" in p]
    assert emial == [
        f"{folder}/extra.yml:14:31: unknown data category 'user.contact.emial'; "
        "did you mean 'user.contact.email'?"
    ]


def test_a_malformed_part_causes_no_follow_up_problems(tmp_path: Path) -> None:
    # The recipient is malformed (no role), and a system names it: only the first is reported.
    folder = map_with(
        tmp_path,
        """
        recipient:
          - fides_key: mailer
            name: Mailer
            purpose: Newsletters
            country: DE
        system:
          - fides_key: newsletter
            name: Newsletter
            system_type: Service
            privacy_declarations:
              - name: Send the newsletter
                data_use: marketing.communications.email
                data_categories: [user.contact.email]
                data_subjects: [customer]
                legal_basis: consent
                recipients: [mailer, mailr2]
        """,
    )
    problems = problems_of(folder)
    assert problems == [
        f"{folder}/extra.yml:2:5: recipient[0]: missing required key 'role'",
        f"{folder}/extra.yml:16:30: recipient 'mailr2' is not declared",
    ]


def test_positions_after_a_malformed_item_still_point_at_the_right_line(tmp_path: Path) -> None:
    # The second field is malformed and set aside; the third field's problem must still be
    # reported on its own line, not on the line of the field that moved up.
    folder = map_with(
        tmp_path,
        """
        dataset:
          - fides_key: crm
            connection: app
            collections:
              - name: leads
                fields:
                  - name: email
                    data_categories: [user.contact.email]
                    fides_meta: {identity: email}
                  - name: broken
                    fides_meta: {primary_key: maybe}
                  - name: phone
                    data_categories: [user.contact.fone]
        """,
    )
    problems = problems_of(folder)
    assert len(problems) == 2
    assert problems[0].startswith(
        f"{folder}/extra.yml:11:39: dataset[0].collections[0].fields[1].fides_meta.primary_key:"
    )
    assert problems[1].startswith(
        f"{folder}/extra.yml:13:31: unknown data category 'user.contact.fone'"
    )


def test_dangling_references_get_suggestions(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        system:
          - fides_key: shop
            name: Shop
            system_type: Application
            privacy_declarations:
              - name: Orders
                data_use: essential.service
                data_categories: [user.contact.email]
                data_subjects: [customer]
                legal_basis: contract
                retention: acount_data
                recipients: [hetzer]
        cookie:
          - name: basket
            provider: Mailhaven
            category: strictly_necessary
            duration: session
            purpose: Keeps the basket
            recipient: stripee
        """,
    )
    problems = problems_of(folder)
    assert problems == [
        f"{folder}/extra.yml:11:20: retention rule 'acount_data' is not declared; "
        "did you mean 'account_data'?",
        f"{folder}/extra.yml:12:22: recipient 'hetzer' is not declared; did you mean 'hetzner'?",
        f"{folder}/extra.yml:19:16: recipient 'stripee' is not declared; did you mean 'stripe'?",
    ]


def test_yaml_syntax_errors_in_plain_words(tmp_path: Path) -> None:
    folder = map_with(tmp_path, "recipient:\n  - fides_key: a\n      name: A\n")
    [problem] = problems_of(folder)
    assert problem.startswith(f"{folder}/extra.yml:3:11: malformed YAML: a ':' here would start")
    assert "indented more than the one above it" in problem

    folder = map_with(tmp_path / "tab", "recipient:\n\t- fides_key: a\n")
    [problem] = problems_of(folder)
    assert "a tab character: YAML indents with spaces only" in problem

    folder = map_with(tmp_path / "quote", 'recipient:\n  - fides_key: "a\n')
    [problem] = problems_of(folder)
    assert "a quote is opened but never closed" in problem


def test_a_broken_file_does_not_hide_problems_in_the_others(tmp_path: Path) -> None:
    folder = map_with(tmp_path, "recipient: [\n")
    (folder / "more.yml").write_text(
        "retention:\n  - fides_key: logs\n    name: Logs\n    collections: [app_db.accounts]\n"
        "    period: forever\n",
        encoding="utf-8",
    )
    problems = problems_of(folder)
    assert any(p.startswith(f"{folder}/extra.yml:") for p in problems)
    assert any(p.startswith(f"{folder}/more.yml:5:13: period 'forever'") for p in problems)


def test_jurisdiction_overrides_are_checked_with_the_map(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        jurisdiction:
          - key: gdpr
            deadlin: {months: 1}
            types:
              access: {deadline: {weeks: 2}}
          - name: Somewhere
        """,
    )
    assert problems_of(folder) == [
        f"{folder}/extra.yml:3:5: jurisdiction 'gdpr': unknown key 'deadlin'; "
        "did you mean 'deadline'?",
        f"{folder}/extra.yml:5:27: jurisdiction 'gdpr': unknown key 'weeks' "
        "(use months, days, business_days)",
        f"{folder}/extra.yml:6:5: a jurisdiction override needs a 'key' (e.g. gdpr, ccpa)",
    ]


def test_documented_jurisdiction_example_is_valid() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "datamap.md").read_text(encoding="utf-8")
    start = docs.index("jurisdiction:\n  - key: gdpr")
    example = yaml.safe_load(docs[start : docs.index("```", start)])["jurisdiction"]
    assert override_problems(example) == []
    rules = build(example)
    assert rules["gdpr"].deadline.days == 21 and rules["gdpr"].extension is None
    assert RequestType.objection not in rules["gdpr"].types
    assert rules["ch_fadp"].countries == ["CH"]
