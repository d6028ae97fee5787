"""What tests that answer every item of a checklist need to know about dossier samples (issue 17).

A `sample` item is answered with rows; an item derived from it (`from_sample`) takes no answer of its own
(409 `item_derived`): it is computed from the rows."""

from __future__ import annotations

# One dossier returned a day early: every shipped sample's required columns are filled.
SAMPLE_ROWS = [{"ma_ho_so": "H31.01-260105-0001", "ngay_hen_tra": "2026-01-10", "ngay_tra": "2026-01-09"}]


def typed(items: list[dict]) -> list[dict]:
    """The items a person answers (the API's checklist tree): all but those computed from a sample."""
    return [item for item in items if not item.get("from_sample")]
