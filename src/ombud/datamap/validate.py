"""Semantic checks of a structurally valid data map; every problem carries its file position."""

from __future__ import annotations

from collections.abc import Iterable

from ombud.datamap import rights, taxonomy
from ombud.datamap.brand import contrast_problems
from ombud.datamap.graph import build_graph, iter_fields
from ombud.datamap.periods import parse_period
from ombud.datamap.positions import Loc, Problem, SourceIndex
from ombud.datamap.recovery import suggest
from ombud.datamap.schemas import DataMap, Safeguard
from ombud.datamap.schemas_fides import Dataset, DatasetField
from ombud.datamap.transfers import ADEQUACY_COUNTRIES, has_adequacy, is_third_country

KIND_WORDS: dict[taxonomy.Kind, str] = {
    "data_category": "data category",
    "data_use": "data use",
    "data_subject": "data subject",
}


class Checker:
    """Collects problems for one map."""

    def __init__(self, datamap: DataMap, index: SourceIndex) -> None:
        self.map = datamap
        self.index = index
        self.problems: list[Problem] = []
        self._keys = {k: taxonomy.keys(k, datamap) for k in taxonomy.KINDS}

    def add(self, loc: Loc, message: str, *, at_key: bool = False) -> None:
        self.problems.append(self.index.at(loc, message, at_key=at_key))

    # ------------------------------------------------------------ taxonomy
    def term(self, kind: taxonomy.Kind, key: str, loc: Loc) -> None:
        if key in self._keys[kind]:
            return
        message = f"unknown {KIND_WORDS[kind]} '{key}'"
        nearest = taxonomy.suggest(kind, key, self.map)
        if nearest:
            message += f"; did you mean '{nearest}'?"
        self.add(loc, message)

    def terms(self, kind: taxonomy.Kind, keys: Iterable[str] | None, loc: Loc) -> None:
        for i, key in enumerate(keys or []):
            self.term(kind, key, (*loc, i))

    def check_taxonomy(self) -> None:
        for i, ds in enumerate(self.map.dataset):
            self.terms("data_category", ds.data_categories, ("dataset", i, "data_categories"))
            for j, coll in enumerate(ds.collections):
                cloc: Loc = ("dataset", i, "collections", j)
                self.terms("data_category", coll.data_categories, (*cloc, "data_categories"))
                self._field_terms(coll.fields, (*cloc, "fields"))
        for i, system in enumerate(self.map.system):
            for j, decl in enumerate(system.privacy_declarations):
                loc: Loc = ("system", i, "privacy_declarations", j)
                self.term("data_use", decl.data_use, (*loc, "data_use"))
                self.terms("data_category", decl.data_categories, (*loc, "data_categories"))
                self.terms("data_subject", decl.data_subjects, (*loc, "data_subjects"))
        for i, rcp in enumerate(self.map.recipient):
            self.terms("data_category", rcp.data_categories, ("recipient", i, "data_categories"))
        for i, rule in enumerate(self.map.retention):
            self.terms("data_category", rule.data_categories, ("retention", i, "data_categories"))
        for i, sub in enumerate(self.map.subscription):
            self.term("data_use", sub.data_use, ("subscription", i, "data_use"))
        self.terms("data_category", self.map.correctable, ("correctable",))
        for kind, entries in self.map.taxonomy.items():
            if kind not in taxonomy.KINDS:
                self.add(
                    ("taxonomy", kind),
                    f"unknown taxonomy kind '{kind}' (use data_category, data_use, data_subject)",
                    at_key=True,
                )
                continue
            for j, entry in enumerate(entries):
                if not isinstance(entry, dict) or not isinstance(entry.get("fides_key"), str):
                    self.add(
                        ("taxonomy", kind, j), f"a custom {KIND_WORDS[kind]} needs a fides_key"
                    )

    def _field_terms(self, fields: list[DatasetField] | None, loc: Loc) -> None:
        for k, f in enumerate(fields or []):
            self.terms("data_category", f.data_categories, (*loc, k, "data_categories"))
            self._field_terms(f.fields, (*loc, k, "fields"))

    # ------------------------------------------------------------ references
    def _field_exists(self, dataset: Dataset, dotted: str) -> str | None:
        """None if ``collection.field[.sub]`` exists in ``dataset``, else what is missing."""
        coll_name, _, field_name = dotted.partition(".")
        coll = next((c for c in dataset.collections if c.name == coll_name), None)
        if coll is None:
            near = suggest(coll_name, (c.name for c in dataset.collections))
            return f"collection '{coll_name}' does not exist in dataset '{dataset.fides_key}'{near}"
        if not field_name:
            return f"'{dotted}' names no field (expected collection.field)"
        names = {name for name, _ in iter_fields(coll.fields)}
        if field_name not in names:
            near = suggest(field_name, names)
            return f"field '{field_name}' does not exist in '{dataset.fides_key}.{coll_name}'{near}"
        return None

    def check_references(self) -> None:
        datasets = {d.fides_key: d for d in self.map.dataset}
        for i, ds in enumerate(self.map.dataset):
            for j, coll in enumerate(ds.collections):
                cloc: Loc = ("dataset", i, "collections", j)
                self._field_references(datasets, coll.fields, (*cloc, "fields"))
                meta = coll.fides_meta
                for attr in ("erase_after", "after"):
                    for k, target in enumerate(getattr(meta, attr, None) or []):
                        self._collection_ref(target, (*cloc, "fides_meta", attr, k))
            if ds.connection and self.map.connection and not self.map.get_connection(ds.connection):
                declared = sorted(c.name for c in self.map.connection)
                near = suggest(ds.connection, declared)
                self.add(
                    ("dataset", i, "connection"),
                    f"connection '{ds.connection}' is not declared{near} "
                    f"(declared: {', '.join(declared)})",
                )
        retention_keys = {r.fides_key for r in self.map.retention}
        for i, system in enumerate(self.map.system):
            extra = (system.model_extra or {}).get("dataset_references") or []
            self._dataset_refs(datasets, extra, ("system", i, "dataset_references"))
            for j, decl in enumerate(system.privacy_declarations):
                loc: Loc = ("system", i, "privacy_declarations", j)
                self._dataset_refs(datasets, decl.dataset_references, (*loc, "dataset_references"))
                for k, key in enumerate(decl.recipients):
                    if self.map.get_recipient(key) is None:
                        self.add((*loc, "recipients", k), self._undeclared_recipient(key))
                ret = decl.retention.strip()
                if ret and " " not in ret and ret not in retention_keys and not parse_period(ret):
                    near = suggest(ret, retention_keys)
                    self.add((*loc, "retention"), f"retention rule '{ret}' is not declared{near}")
        for i, rule in enumerate(self.map.retention):
            for k, target in enumerate(rule.collections):
                self._collection_ref(target, ("retention", i, "collections", k))
        for i, cookie in enumerate(self.map.cookie):
            if cookie.recipient and self.map.get_recipient(cookie.recipient) is None:
                self.add(("cookie", i, "recipient"), self._undeclared_recipient(cookie.recipient))

    def _undeclared_recipient(self, key: str) -> str:
        near = suggest(key, (r.fides_key for r in self.map.recipient))
        return f"recipient '{key}' is not declared{near}"

    def _dataset_refs(self, datasets: dict[str, Dataset], refs: object, loc: Loc) -> None:
        for k, key in enumerate(refs if isinstance(refs, list) else []):
            if key not in datasets:
                self.add((*loc, k), f"dataset '{key}' does not exist{suggest(str(key), datasets)}")

    def _collection_ref(self, target: str, loc: Loc) -> None:
        ds_key, _, coll_name = target.partition(".")
        ds = self.map.get_dataset(ds_key)
        if ds is None:
            near = suggest(ds_key, (d.fides_key for d in self.map.dataset))
            self.add(loc, f"dataset '{ds_key}' does not exist{near} (expected dataset.collection)")
        elif not any(c.name == coll_name for c in ds.collections):
            near = suggest(coll_name, (c.name for c in ds.collections))
            self.add(loc, f"collection '{coll_name}' does not exist in dataset '{ds_key}'{near}")

    def _field_references(
        self, datasets: dict[str, Dataset], fields: list[DatasetField] | None, loc: Loc
    ) -> None:
        for k, f in enumerate(fields or []):
            floc: Loc = (*loc, k)
            refs = f.fides_meta.references if f.fides_meta else None
            for r, ref in enumerate(refs or []):
                rloc: Loc = (*floc, "fides_meta", "references", r)
                target = datasets.get(ref.dataset)
                if target is None:
                    near = suggest(ref.dataset, datasets)
                    self.add((*rloc, "dataset"), f"dataset '{ref.dataset}' does not exist{near}")
                elif missing := self._field_exists(target, ref.field):
                    self.add((*rloc, "field"), missing)
                if ref.direction not in (None, "from", "to"):
                    self.add((*rloc, "direction"), "direction must be 'from' or 'to'")
            self._field_references(datasets, f.fields, (*floc, "fields"))

    # ------------------------------------------------------------ transfers
    def check_transfers(self) -> None:
        for i, rcp in enumerate(self.map.recipient):
            loc: Loc = ("recipient", i)
            country = rcp.country.upper()
            if len(country) != 2 or not country.isalpha():
                self.add((*loc, "country"), f"country '{rcp.country}' is not an ISO 3166 code")
                continue
            if not is_third_country(country):
                continue
            if rcp.safeguard is None:
                self.add(
                    (*loc, "country"),
                    f"recipient '{rcp.fides_key}' receives data in {country}, outside the EU/EEA, "
                    "but has no safeguard (adequacy, standard_contractual_clauses, "
                    "binding_corporate_rules or derogation)",
                )
            elif rcp.safeguard == Safeguard.adequacy and not has_adequacy(country):
                listed = ", ".join(sorted(ADEQUACY_COUNTRIES))
                self.add(
                    (*loc, "safeguard"),
                    f"recipient '{rcp.fides_key}' claims adequacy, but {country} has no EU "
                    f"adequacy decision (countries with one: {listed})",
                )

    # ------------------------------------------------------------ reachability
    def check_reachability(self) -> None:
        positions = {
            (ds.fides_key, c.name): (i, j)
            for i, ds in enumerate(self.map.dataset)
            for j, c in enumerate(ds.collections)
        }
        for ds_key, coll, reason in build_graph(self.map).unreachable_personal():
            i, j = positions[(ds_key, coll)]
            self.add(
                ("dataset", i, "collections", j, "name"),
                f"collection '{ds_key}.{coll}' holds personal data but no identity reaches it: "
                f"{reason}",
            )

    # ------------------------------------------------------------ retention
    def check_retention(self) -> None:
        for i, rule in enumerate(self.map.retention):
            loc: Loc = ("retention", i)
            if rule.period is None or not rule.period.strip():
                what = "legal hold" if rule.legal_hold else "retention rule"
                self.add(
                    loc,
                    f"{what} '{rule.fides_key}' has no period (e.g. period: P30D or '10 years')",
                )
            elif parse_period(rule.period) is None:
                self.add(
                    (*loc, "period"),
                    f"period '{rule.period}' is not an ISO 8601 duration (P30D, P1Y6M) or "
                    "'N days|weeks|months|years'",
                )
            if not rule.data_categories and not rule.collections:
                self.add(
                    (*loc, "fides_key"),
                    f"retention rule '{rule.fides_key}' applies to nothing: give data_categories "
                    "or collections",
                )

    # ------------------------------------------------------------ jurisdictions
    def check_jurisdictions(self) -> None:
        # dsr depends on datamap, not the other way round: import where it is needed.
        from ombud.dsr.jurisdictions import override_problems

        for i, loc, message in override_problems(self.map.jurisdiction):
            extra = loc[-1] if loc and "unknown key" in message else None
            self.add(("jurisdiction", i, *loc), message, at_key=extra is not None)

    def check_retention_conflicts(self) -> None:
        """A rule that deletes or anonymises before a legal hold on the same collection ends
        would promise what the hold prevents: name both rules."""
        holds = [(i, r) for i, r in enumerate(self.map.retention) if r.legal_hold]
        for i, rule in enumerate(self.map.retention):
            period = parse_period(rule.period or "")
            if rule.legal_hold or period is None or rule.action.value == "report":
                continue
            for _, hold in holds:
                hold_period = parse_period(hold.period or "")
                shared = sorted(set(rule.collections) & set(hold.collections))
                same_clock = (hold.timestamp_field or "") == (rule.timestamp_field or "")
                if not shared or hold_period is None or not same_clock:
                    continue
                if period.approximate_days() < hold_period.approximate_days():
                    self.add(
                        ("retention", i, "period"),
                        f"retention rule '{rule.fides_key}' would {rule.action.value} "
                        f"{shared[0]} after {period}, but legal hold '{hold.fides_key}' keeps it "
                        f"for {hold_period}: make the period at least {hold_period} or narrow "
                        "the hold",
                    )

    # ------------------------------------------------------------ brand
    def check_brand(self) -> None:
        """Brand colours that fail WCAG AA contrast are refused, with one that passes."""
        for loc, message in contrast_problems(self.map.organization.brand):
            self.add(loc, message)

    # ------------------------------------------------------------ duplicates
    def check_duplicates(self) -> None:
        groups: dict[str, list[str]] = {
            "system": [s.fides_key for s in self.map.system],
            "dataset": [d.fides_key for d in self.map.dataset],
            "recipient": [r.fides_key for r in self.map.recipient],
            "retention": [r.fides_key for r in self.map.retention],
            "subscription": [s.fides_key for s in self.map.subscription],
            "policy": [str(p.get("fides_key", "")) for p in self.map.policy],
        }
        for kind, keys in groups.items():
            self._dupes(keys, (kind,), "fides_key", f"{kind} fides_key")
        self._dupes([c.name for c in self.map.connection], ("connection",), "name", "connection")
        for i, ds in enumerate(self.map.dataset):
            cloc: Loc = ("dataset", i, "collections")
            what = f"collection in dataset '{ds.fides_key}'"
            self._dupes([c.name for c in ds.collections], cloc, "name", what)
            for j, coll in enumerate(ds.collections):
                what = f"field in '{ds.fides_key}.{coll.name}'"
                self._dupes([f.name for f in coll.fields], (*cloc, j, "fields"), "name", what)

    def _dupes(self, keys: list[str], prefix: Loc, attr: str, what: str) -> None:
        seen: dict[str, int] = {}
        for i, key in enumerate(keys):
            if not key:
                continue
            if key in seen:
                first = self.index.locate((*prefix, seen[key], attr))
                self.add(
                    (*prefix, i, attr), f"duplicate {what} '{key}' (first at {first[0]}:{first[1]})"
                )
            else:
                seen[key] = i


def validate(datamap: DataMap, index: SourceIndex | None = None) -> list[Problem]:
    """Every semantic problem of ``datamap``, sorted by position."""
    checker = Checker(datamap, index or SourceIndex())
    checker.check_duplicates()
    checker.check_taxonomy()
    checker.check_references()
    checker.check_transfers()
    checker.check_retention()
    checker.check_retention_conflicts()
    checker.check_reachability()
    checker.check_jurisdictions()
    rights.check(checker)
    checker.check_brand()
    unique = dict.fromkeys(checker.problems)
    return sorted(unique, key=lambda p: (p.file, p.line, p.column, p.message))
