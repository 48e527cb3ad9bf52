"""Templates read a dict's keys through ``d.name`` as Jinja2 always did: a key, a dict method
where the name is one, nothing where it is neither."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from jinja2 import Environment

from ombud.dsr.letters import template_for
from ombud.web.render import environment


@dataclass
class Thing:
    name: str


def _both(source: str, **context: object) -> tuple[str, str]:
    """What ours and a standard Jinja2 environment render for ``source``."""
    ours = environment().from_string(source).render(**context)
    standard = Environment().from_string(source).render(**context)
    return ours, standard


def test_a_key_is_read_as_before() -> None:
    ours, standard = _both(
        "{{ d.name }}|{{ d.missing }}|{{ t.name }}", d={"name": "Ana"}, t=Thing("Bo")
    )
    assert ours == standard == "Ana||Bo"


def test_a_dict_method_wins_over_a_key_of_its_name() -> None:
    row = {"items": "a column", "values": 3, "keys": None}
    ours, standard = _both("{{ d.items() | list | length }} {{ d['items'] }}", d=row)
    assert ours == standard == "3 a column"


def test_a_dict_subclass_keeps_its_attributes() -> None:
    class Row(dict[str, str]):
        label = "from the class"

    ours, standard = _both("{{ r.label }} {{ r.other }}", r=Row(label="key", other="o"))
    assert ours == standard == "from the class o"


def test_templates_are_read_from_disk_once(monkeypatch: pytest.MonkeyPatch) -> None:
    env = environment()
    first = env.get_template("email/completion.txt")
    assert template_for("completion", "de") == "email/de/completion.txt"
    assert template_for("agent_copy", "de") == "email/agent_copy.txt"  # no German one
    looked: list[object] = []
    getmtime, is_file = os.path.getmtime, Path.is_file
    monkeypatch.setattr(os.path, "getmtime", lambda p: looked.append(p) or getmtime(p))
    monkeypatch.setattr(Path, "is_file", lambda p: looked.append(p) or is_file(p))
    # A letter or page again: the compiled template and the chosen file, no look at the disk.
    assert env.get_template("email/completion.txt") is first
    assert template_for("completion", "de") == "email/de/completion.txt"
    assert template_for("agent_copy", "de") == "email/agent_copy.txt"
    assert looked == []
