"""``ombud datamap validate|apply|ropa`` and the content of the Art. 30 record."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from ombud.cli.main import app
from ombud.datamap import ropa
from ombud.datamap.loader import load_datamap
from tests.datamap.helpers import FIDES, VALID, map_with

runner = CliRunner()


def test_validate_valid_map_exits_0() -> None:
    res = runner.invoke(app, ["datamap", "validate", str(VALID)])
    assert res.exit_code == 0, res.output
    assert "valid data map of Mailhaven GmbH" in res.output
    assert "3 processing activities" in res.output


def test_validate_prints_every_problem_on_one_line(tmp_path: Path) -> None:
    long_name = "x" * 150
    folder = map_with(
        tmp_path,
        f"""
        recipient:
          - fides_key: {long_name}
            name: Acme
            role: partner
            purpose: Ads
            country: US
            data_categories: [user.contact.emial]
        """,
    )
    res = runner.invoke(app, ["datamap", "validate", str(folder)])
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert lines == [
        f"{folder}/extra.yml:6:14: recipient '{long_name}' receives data in US, outside the "
        "EU/EEA, but has no safeguard (adequacy, standard_contractual_clauses, "
        "binding_corporate_rules or derogation)",
        f"{folder}/extra.yml:7:23: unknown data category 'user.contact.emial'; "
        "did you mean 'user.contact.email'?",
    ]
    assert "2 problem(s) found" in res.stderr


def test_validate_malformed_yaml_and_missing_path_never_traceback(tmp_path: Path) -> None:
    folder = map_with(tmp_path, "cookie: [\n")
    res = runner.invoke(app, ["datamap", "validate", str(folder)])
    assert res.exit_code == 1
    assert res.stdout.startswith(f"{folder}/extra.yml:2:1: malformed YAML")
    assert res.exception is None or isinstance(res.exception, SystemExit)
    res = runner.invoke(app, ["datamap", "validate", str(tmp_path / "none")])
    assert res.exit_code == 1
    assert res.stdout == f"{tmp_path / 'none'}:1:1: no such file or folder\n"


def test_apply_then_ropa_from_store(cli_store: str, tmp_path: Path) -> None:
    res = runner.invoke(app, ["datamap", "apply", str(VALID), "--author", "dana"])
    assert res.exit_code == 0, res.output
    assert "applied data map version 1" in res.output
    res = runner.invoke(app, ["datamap", "apply", str(VALID)], env={"USER": "erik"})
    assert res.exit_code == 0, res.output
    assert "unchanged: version 1 is already current" in res.output
    bad = map_with(tmp_path, "retention:\n  - fides_key: x\n    collections: [app_db.accounts]\n")
    res = runner.invoke(app, ["datamap", "apply", str(bad)])
    assert res.exit_code == 1
    assert res.stdout.startswith(f"{bad}/extra.yml:2:5: retention rule 'x' has no period")
    out = tmp_path / "ropa.csv"
    res = runner.invoke(app, ["datamap", "ropa", "--format", "csv", "--output", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["activity"] for r in rows] == ["Provide the email service", "Billing", "Newsletter"]


def test_ropa_without_applied_map_is_clear(cli_store: str) -> None:
    res = runner.invoke(app, ["datamap", "ropa"])
    assert res.exit_code == 1
    assert "no data map has been applied" in res.output


def test_ropa_content_covers_article_30() -> None:
    record = ropa.build_ropa(load_datamap(VALID))
    assert record.controller.name == "Mailhaven GmbH"
    assert "Torstraße 1, 10119 Berlin, DE" in record.controller.contact
    assert record.representative is not None and record.representative.name == "Mailhaven UK Ltd"
    assert record.dpo is not None and record.dpo.contact == "dpo@mailhaven.example"
    assert record.security_measures[0].startswith("Encryption in transit")
    service, billing, newsletter = record.activities
    assert service.purpose == "Provide the email service (Providing the service)"
    assert service.legal_basis == "Performance of a contract (GDPR Art. 6(1)(b))"
    assert service.data_subjects == ["Customers"]
    assert service.data_categories[0] == "Email address"
    assert service.recipients == ["Processors: Hetzner Online GmbH (Hosting, DE)"]
    assert service.transfers == ["None"]
    assert service.retention == ["Account data: 30 days, then delete"]
    assert billing.transfers == [
        "Stripe Payments Europe in US: standard contractual clauses (GDPR Art. 46(2)(c)) "
        "(SCCs module 2 (2021/914))"
    ]
    assert billing.retention == [
        "Invoices: 10 years, then delete (legal hold: Kept for tax law, § 147 AO)"
    ]
    assert newsletter.legal_basis == "Consent (GDPR Art. 6(1)(a))"
    assert newsletter.data_subjects == ["Customers", "Prospective customers"]


def test_ropa_from_fides_organization_uses_its_contacts() -> None:
    record = ropa.build_ropa(load_datamap(FIDES))
    assert record.controller.name == "Con Troller"
    assert record.dpo is not None and record.dpo.name == "DataPro Tection"
    assert record.activities[0].legal_basis == "Legitimate interests"
    assert record.activities[0].retention == ["30 days"]


def test_ropa_html_is_standalone_and_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "map"
    folder.mkdir()
    for f in VALID.glob("*.yml"):
        text = f.read_text().replace("name: Billing", "name: Billing <script>x</script>")
        (folder / f.name).write_text(text)
    res = runner.invoke(app, ["datamap", "ropa", str(folder), "--format", "html"])
    assert res.exit_code == 0, res.output
    page = res.stdout
    assert page.startswith("<!doctype html>")
    assert "<script>" not in page
    assert "Billing &lt;script&gt;x&lt;/script&gt;" in page
    assert "Data protection officer" in page and "Transfers to third countries" in page
