"""The data map keys rights requests act on: CCPA markings and the restriction flag."""

from __future__ import annotations

from pathlib import Path

from ombud.consent.purposes import definitions
from ombud.datamap.loader import load_datamap
from ombud.datamap.rights import restriction_flags
from tests.datamap.helpers import map_with, problems_of


def test_markings_need_consent_and_flags_a_writable_boolean(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        system:
          - fides_key: partners
            name: Partners
            privacy_declarations:
              - data_use: third_party_sharing
                legal_basis: contract
                sale: true
        dataset:
          - fides_key: flags
            collections:
              - name: people
                fields:
                  - name: id
                    fides_meta: {primary_key: true}
                    restriction_flag: true
                  - name: note
                    fides_meta: {data_type: string}
                    restriction_flag: true
        """,
    )
    found = problems_of(folder)
    assert any("'sale: true' needs 'legal_basis: consent'" in p for p in found), found
    assert any("field 'id' cannot be the restriction flag" in p for p in found), found
    assert any("its data_type is string" in p for p in found), found


def test_markings_are_inferred_from_data_uses_and_reach_the_purposes(tmp_path: Path) -> None:
    folder = map_with(
        tmp_path,
        """
        system:
          - fides_key: ads
            name: Ads
            privacy_declarations:
              - name: Retarget visitors
                data_use: marketing.advertising.third_party.targeted
                legal_basis: consent
              - name: Sell leads
                data_use: third_party_sharing
                legal_basis: consent
              - name: Health tips
                data_use: personalize.content.profiled
                legal_basis: consent
                sensitive_use: true
        dataset:
          - fides_key: flags
            collections:
              - name: people
                fields:
                  - name: id
                    fides_meta: {primary_key: true}
                  - name: restricted
                    fides_meta: {data_type: boolean}
                    restriction_flag: true
        """,
    )
    datamap = load_datamap(folder)  # valid: no problem raised
    marks = {d.key: (d.sale, d.sharing, d.sensitive, d.gpc_applies) for d in definitions(datamap)}
    assert marks["marketing.advertising.third_party.targeted"] == (False, True, False, True)
    assert marks["third_party_sharing"] == (True, False, False, True)
    assert marks["personalize.content.profiled"] == (False, False, True, False)
    assert restriction_flags(datamap) == [("flags", "people", "restricted")]
