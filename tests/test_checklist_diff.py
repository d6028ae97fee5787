"""What changed between two checklist versions (checklists/diff.py): a pure function."""

from __future__ import annotations

import msgspec
import pytest

from inspect_app.checklists import editing
from inspect_app.checklists.diff import diff_checklists
from inspect_app.checklists.loader import load_checklist_file
from inspect_app.checklists.model import Item
from inspect_app.checklists.problems import format_number
from inspect_app.settings import ROOT


@pytest.fixture(scope="module")
def xa():
    return load_checklist_file(ROOT / "checklists" / "cchc-xa.toml").checklist


def test_a_version_against_itself_has_no_change(xa):
    diff = diff_checklists(xa, xa)
    assert diff.empty and diff.old_max == diff.new_max == 100


def test_points_and_texts_changed_are_listed_with_both_values(xa):
    first = editing.node_at(xa, (0, 0, 1))
    changed = editing.apply_fields(xa, (0, 0, 1), {"fields": "max_points,text",
                                                   "max_points": "9", "text": "Nội dung mới"})
    diff = diff_checklists(xa, changed)
    assert [(c.code, c.old, c.new) for c in diff.points] == [(first.code, format_number(first.max_points), "9")]
    assert [(c.code, c.field, c.new) for c in diff.texts] == [(first.code, "text", "Nội dung mới")]
    assert not diff.added and not diff.removed and not diff.moved


def test_an_item_moved_up_is_the_only_one_reported_moved(xa):
    moved, _ = editing.move_node(xa, (2, 2, 4), -2)
    diff = diff_checklists(xa, moved)
    code = editing.node_at(xa, (2, 2, 4)).code
    assert [m.code for m in diff.moved] == [code]
    assert diff.moved[0].new_position == diff.moved[0].old_position - 2


def test_added_and_removed_items_and_headings(xa):
    added, child = editing.add_child(xa, (0, 0))
    removed = editing.remove_node(added, (1, 0, 0))
    diff = diff_checklists(xa, removed)
    assert [i.code for i in diff.added] == [editing.node_at(added, child).code]
    assert [i.code for i in diff.removed] == [editing.node_at(xa, (1, 0, 0)).code]
    renamed = editing.apply_fields(xa, (0, 0), {"fields": "title", "title": "Tên mới"})
    assert [(c.code, c.field, c.new) for c in diff_checklists(xa, renamed).headings] == [
        (xa.areas[0].criteria[0].code, "title", "Tên mới")]


def test_an_item_moved_to_another_criterion_is_moved():
    from inspect_app.checklists.model import Area, Checklist, Criterion, Item

    def checklist(first: list[str], second: list[str]) -> Checklist:
        items = lambda codes: [Item(code=c, text=c, type="yesno", max_points=1) for c in codes]  # noqa: E731
        return Checklist(id="x", title="x", version="1", unit_kinds=["xa"], legal_basis=[], areas=[
            Area(code="1", title="a", max_points=3, criteria=[Criterion(code="1.1", title="c", items=items(first)),
                                                               Criterion(code="1.2", title="d", items=items(second))])])

    diff = diff_checklists(checklist(["1.1.1", "1.1.2"], ["1.2.1"]), checklist(["1.1.1"], ["1.1.2", "1.2.1"]))
    assert [(m.code, m.old_criterion, m.new_criterion) for m in diff.moved] == [("1.1.2", "1.1", "1.2")]


# -- the editor's form → checklist conversion (checklists/editing.py)

def test_every_field_of_an_item_round_trips_through_its_form(xa):
    for node in [(a, c, i) for a, area in enumerate(xa.areas) for c, crit in enumerate(area.criteria)
                 for i in range(len(crit.items))]:
        item = editing.node_at(xa, node)
        specs = editing.specs_for(item)
        form = {"fields": ",".join(s.key for s in specs)}
        form.update({s.key: editing.field_text(item, s) for s in specs})
        assert editing.node_at(editing.apply_fields(xa, node, form), node) == item, item.code


def test_the_checklist_header_round_trips_and_keeps_its_id_and_areas(xa):
    specs = editing.specs_for(xa)
    form = {"fields": ",".join(s.key for s in specs), **{s.key: editing.field_text(xa, s) for s in specs}}
    assert editing.apply_fields(xa, (), form) == xa
    renamed = editing.apply_fields(xa, (), {"fields": "version,rating_bands", "version": "2026.9",
                                            "rating_bands": "90 | Tốt\n50,5 | Đạt"})
    assert renamed.id == xa.id and renamed.areas == xa.areas and renamed.version == "2026.9"
    assert [(b.min_percent, b.label) for b in renamed.rating_bands] == [(90, "Tốt"), (50.5, "Đạt")]


def test_bad_input_names_the_field_and_changes_nothing(xa):
    with pytest.raises(editing.EditError) as refused:
        editing.apply_fields(xa, (0, 0, 0), {"fields": "max_points,type,levels", "max_points": "hai",
                                             "type": "co_khong", "levels": "dat | Đạt"})
    assert set(refused.value.errors) == {"max_points", "type", "levels"}
    assert "Nhập một số" in refused.value.errors["max_points"]
    with pytest.raises(KeyError):
        editing.apply_fields(xa, (0, 0, 99), {"fields": "text", "text": "x"})
    with pytest.raises(KeyError):
        editing.parse_node("0.a")


def test_validator_messages_land_beside_their_field(xa):
    item = editing.node_at(xa, (0, 0, 1))
    changed = editing.apply_fields(xa, (0, 0, 1), {"fields": "max_points",
                                                   "max_points": str(item.max_points + 1).replace(".", ",")})
    problems = editing.field_problems(changed)
    assert "max_points" in problems["0"]  # the area's maximum no longer matches its items
    assert editing.problem_count(problems) >= 1
    assert editing.field_problems(xa) == {}


def test_a_key_without_a_spec_still_shows_as_json():
    from inspect_app.checklists.model import Item

    class Later(Item, forbid_unknown_fields=True, omit_defaults=True):  # a key another change adds
        weights: dict | None = None

    editing._SPECS[Later], editing._NOT_FIELDS[Later] = editing.ITEM_FIELDS, set()
    try:
        item = Later(code="1.1.2", text="x", type="yesno", weights={"a": 1})
        spec = next(s for s in editing.specs_for(item) if s.key == "weights")
        assert spec.kind == "json" and msgspec.json.decode(editing.field_text(item, spec)) == item.weights
    finally:
        del editing._SPECS[Later], editing._NOT_FIELDS[Later]


# -- properties

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

XA = load_checklist_file(ROOT / "checklists" / "cchc-xa.toml").checklist
ITEM_NODES = [(a, c, i) for a, area in enumerate(XA.areas) for c, crit in enumerate(area.criteria)
              for i in range(len(crit.items))]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ITEM_NODES), st.integers(-3, 3)), max_size=8))
def test_reordering_only_ever_reports_moves(moves):
    """Moves within criteria add, remove and change nothing, and the diff reports no more items moved than
    moves were made (the longest run kept in order is left out: a swap reports one item, not two)."""
    checklist, made = XA, 0
    for node, step in moves:
        checklist, landed = editing.move_node(checklist, node, step)
        made += landed != node
    diff = diff_checklists(XA, checklist)
    assert not (diff.added or diff.removed or diff.points or diff.texts or diff.other or diff.headings)
    assert len(diff.moved) <= made
    assert diff.empty == (checklist == XA)
    assert editing.field_problems(checklist) == {}  # order within a criterion is no rule of the format


class SampleColumn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    key: str
    label: str
    type: str
    required: bool = False
    choices: list[str] = []


class SampleItem(Item, forbid_unknown_fields=True, omit_defaults=True):  # the keys other changes add
    when: dict | None = None
    columns: list[SampleColumn] = []
    min_rows: int = 0
    max_rows: int = 200


def test_the_sample_and_condition_keys_get_their_inputs_once_the_model_has_them():
    """Issue 17's keys (when, sample columns, rows) are declared in the spec table; a model without them
    shows nothing, a model with them shows friendly inputs that round-trip."""
    from inspect_app.checklists.model import Item

    Later = SampleItem
    fields = {f.encode_name for f in msgspec.structs.fields(Item)}
    assert {s.key.split(".")[0] for s in editing.specs_for(Item(code="1.1.1", text="x", type="yesno"))} <= fields
    editing._SPECS[Later], editing._NOT_FIELDS[Later] = editing.ITEM_FIELDS, set()
    try:
        item = Later(code="1.1.2", text="x", type="yesno", columns=[
            SampleColumn("ma_ho_so", "Mã hồ sơ", "text", True),
            SampleColumn("ket_qua", "Kết quả", "choice", False, ["a", "b"])])
        keys = {s.key: s for s in editing.specs_for(item)}
        assert "when" in keys and "columns" not in keys  # columns belong to a sample item only
        sample = msgspec.structs.replace(item, type="sample") if "sample" in editing.ITEM_TYPES else None
        specs = {s.key: s for s in editing.specs_for(sample or item)} if sample else {
            s.key: s for s in editing.ITEM_FIELDS if s.key in ("columns", "min_rows", "max_rows")}
        text = editing.field_text(item, specs["columns"])
        assert text == "ma_ho_so | Mã hồ sơ | text | x\nket_qua | Kết quả | choice |  | a, b"
        assert [SampleColumn(**c) for c in editing._parse(specs["columns"], text)] == item.columns
        with pytest.raises(ValueError, match="Dòng 1"):
            editing._parse(specs["columns"], "chi_mot_cot")
    finally:
        del editing._SPECS[Later], editing._NOT_FIELDS[Later]
