"""Reading data map files: Fides resources unchanged, every structure error with its position."""

from __future__ import annotations

from pathlib import Path

from ombud.datamap.loader import load_datamap, parse_files
from tests.datamap.helpers import FIDES, VALID, map_with, problems_of


def test_valid_folder_loads_every_resource() -> None:
    m = load_datamap(VALID)
    assert m.organization.name == "Mailhaven GmbH"
    assert [d.fides_key for d in m.dataset] == ["app_db"]
    assert [r.fides_key for r in m.recipient] == ["hetzner", "stripe"]
    assert m.get_connection("app") is not None
    assert m.cookie[0].category == "strictly_necessary"
    assert m.taxonomy["data_category"][0]["name"] == "Email address"


def test_fides_resources_load_unchanged() -> None:
    m = load_datamap(FIDES)
    assert m.organization.fides_key == "default_organization"
    assert (m.organization.model_extra or {})["controller"]["name"] == "Con Troller"
    ds = m.dataset[0]
    customer = next(c for c in ds.collections if c.name == "customer")
    email = next(f for f in customer.fields if f.name == "email")
    assert email.fides_meta is not None and email.fides_meta.identity == "email"
    login = next(c for c in ds.collections if c.name == "login")
    ref = login.fields[0].fides_meta.references[0]  # type: ignore[union-attr,index]
    assert (ref.dataset, ref.field, ref.direction) == (
        "postgres_example_test_dataset",
        "customer.id",
        "from",
    )
    decl = m.system[0].privacy_declarations[0]
    assert (decl.model_extra or {})["legal_basis_for_processing"] == "Legitimate interests"
    assert m.policy[0]["rules"][0]["name"] == "Reject Direct Marketing"


def test_single_file_map(tmp_path: Path) -> None:
    text = "\n".join((VALID / n).read_text() for n in ("organization.yml",))
    f = tmp_path / "one.yml"
    f.write_text(text)
    assert load_datamap(f).organization.fides_key == "mailhaven"


def test_malformed_yaml_has_position(tmp_path: Path) -> None:
    folder = map_with(tmp_path, "cookie:\n  - name: [unclosed\n    provider: x\n")
    problems = problems_of(folder)
    assert len(problems) == 1
    assert problems[0].startswith(f"{folder}/extra.yml:3:13: malformed YAML")


def test_tab_indentation_is_malformed(tmp_path: Path) -> None:
    folder = map_with(tmp_path, "cookie:\n\t- name: x\n")
    assert problems_of(folder)[0].startswith(f"{folder}/extra.yml:2:1: malformed YAML")


def test_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    folder = map_with(tmp_path, "- just\n- a list\n")
    assert problems_of(folder) == [
        f"{folder}/extra.yml:1:1: a data map file must be a mapping of keys (key: value)"
    ]


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert problems_of(missing) == [f"{missing}:1:1: no such file or folder"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert problems_of(empty) == [f"{empty}:1:1: no data map files here (expected *.yml or *.yaml)"]


def test_bad_enum_points_at_value(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        cookie:
          - name: tracker
            provider: Acme
            category: tracking
            duration: 1 year
            purpose: Ads
        """,
    )
    [problem] = problems_of(folder)
    assert problem.startswith(f"{folder}/extra.yml:4:15: cookie[0].category: Input should be")


def test_unknown_key_points_at_key(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        recipient:
          - fides_key: acme
            name: Acme
            role: partner
            purpose: Ads
            country: FR
            colour: red
        """,
    )
    assert problems_of(folder) == [f"{folder}/extra.yml:7:5: recipient[0]: unknown key 'colour'"]


def test_missing_required_key_points_at_item(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        recipient:
          - fides_key: acme
            name: Acme
            purpose: Ads
            country: FR
        """,
    )
    assert problems_of(folder) == [
        f"{folder}/extra.yml:2:5: recipient[0]: missing required key 'role'"
    ]


def test_nested_structure_error_in_dataset(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        dataset:
          - fides_key: shop
            collections:
              - name: orders
                fields:
                  - name: id
                    fides_meta:
                      length: lots
        """,
    )
    [problem] = problems_of(folder)
    assert problem.startswith(
        f"{folder}/extra.yml:8:23: dataset[0].collections[0].fields[0].fides_meta.length:"
    )


def test_missing_organization_and_duplicate_yaml_key(tmp_path: Path) -> None:
    problems = [
        str(p)
        for p in __import__("pytest")
        .raises(Exception, parse_files, {"a.yml": "cookie: []\n"})
        .value.problems
    ]
    assert problems == ["a.yml:1:1: the data map: missing required key 'organization'"]
    folder = map_with(tmp_path, "cookie: []\ncookie: []\n")
    assert problems_of(folder) == [
        f"{folder}/extra.yml:2:1: key 'cookie' is given twice (first on line 1)"
    ]


def test_organization_defined_twice(tmp_path: Path) -> None:
    folder = map_with(tmp_path, "organization:\n  fides_key: again\n  name: Again\n")
    assert problems_of(folder) == [
        f"{folder}/organization.yml:1:1: organization is defined again "
        f"(first in {folder}/extra.yml)"
    ]
