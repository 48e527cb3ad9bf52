"""Where personal data flows in a data map: systems use datasets, and send data to
recipients (through the datasets their processing activities name, or directly)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ombud.datamap.schemas import DataMap
from ombud.datamap.schemas_fides import System

SYSTEM, DATASET, RECIPIENT = "system", "dataset", "recipient"


@dataclass(frozen=True)
class Node:
    """A system, dataset or recipient; ``id`` is ``kind:fides_key``."""

    kind: str
    key: str
    label: str
    detail: str = ""

    @property
    def id(self) -> str:
        """Unique among all nodes of the map."""
        return f"{self.kind}:{self.key}"


@dataclass
class Flows:
    """The three layers and the edges between them (source id, target id), in map order."""

    systems: list[Node] = field(default_factory=list)
    datasets: list[Node] = field(default_factory=list)
    recipients: list[Node] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    # Per system: the datasets it uses and the recipients it sends to (the table's rows).
    rows: list[tuple[Node, list[Node], list[Node]]] = field(default_factory=list)

    def targets(self, node_id: str) -> list[str]:
        """Ids the node sends data to."""
        return [b for a, b in self.edges if a == node_id]


def _system_datasets(system: System) -> list[str]:
    # Fides puts dataset_references on the system too; Ombud keeps unknown Fides keys.
    refs = (system.model_extra or {}).get("dataset_references") or []
    return [str(r) for r in refs] if isinstance(refs, list) else []


def build_flows(datamap: DataMap) -> Flows:
    """Systems → datasets → recipients of ``datamap`` (unknown references are left out)."""
    flows = Flows(
        systems=[Node(SYSTEM, s.fides_key, s.name, s.system_type) for s in datamap.system],
        datasets=[Node(DATASET, d.fides_key, d.name or d.fides_key) for d in datamap.dataset],
        recipients=[
            Node(RECIPIENT, r.fides_key, r.name, f"{r.role.value}, {r.country}")
            for r in datamap.recipient
        ],
    )
    known = {n.id for n in (*flows.systems, *flows.datasets, *flows.recipients)}
    edges: dict[tuple[str, str], None] = {}

    def add(a: str, b: str) -> None:
        if a in known and b in known:
            edges[(a, b)] = None

    by_id = {n.id: n for n in (*flows.systems, *flows.datasets, *flows.recipients)}
    for system in datamap.system:
        sid = f"{SYSTEM}:{system.fides_key}"
        shared = _system_datasets(system)
        uses = [
            *shared,
            *(d for decl in system.privacy_declarations for d in decl.dataset_references),
        ]
        sends = [r for decl in system.privacy_declarations for r in decl.recipients]
        flows.rows.append(
            (
                by_id[sid],
                [by_id[i] for i in dict.fromkeys(f"{DATASET}:{d}" for d in uses) if i in by_id],
                [by_id[i] for i in dict.fromkeys(f"{RECIPIENT}:{r}" for r in sends) if i in by_id],
            )
        )
        for ds in shared:
            add(sid, f"{DATASET}:{ds}")
        for decl in system.privacy_declarations:
            datasets = [d for d in (decl.dataset_references or shared) if f"{DATASET}:{d}" in known]
            for ds in decl.dataset_references:
                add(sid, f"{DATASET}:{ds}")
            for rec in decl.recipients:
                if not datasets:
                    add(sid, f"{RECIPIENT}:{rec}")
                for ds in datasets:
                    add(f"{DATASET}:{ds}", f"{RECIPIENT}:{rec}")
    flows.edges = list(edges)
    return flows
