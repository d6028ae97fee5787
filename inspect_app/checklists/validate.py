"""Checklist validation: TOML syntax, field types and the format's rules, as located Vietnamese problems.

This module is the public entry point (`validate_source`, `validate_checklist`) and keeps
importable every name it has always offered. The work is done in sibling modules:
`problems` (result types, node paths, point arithmetic), `checklist_rules` and `item_rules`
(the format's semantic rules), `source_map` (finding the line of a node or key in TOML text)
and `decode_errors` (Vietnamese translations of msgspec/TOML decoder errors).
"""

from __future__ import annotations

import msgspec

from .checklist_rules import (
    AREA_CODE_RE,
    CRITERION_CODE_RE,
    ID_RE,
    ITEM_CODE_RE,
    checklist_findings,
)
from .decode_errors import parse_error_path, struct_at, syntax_problem, translate_validation_error
from .item_rules import LEVEL_KEY_RE, is_multiple, item_findings
from .model import Checklist
from .problems import (
    TOLERANCE,
    ChecklistError,
    Finding,
    Keys,
    Locate,
    Node,
    Problem,
    format_number,
    split_path,
)
from .source_map import SourceMap

__all__ = [
    "AREA_CODE_RE",
    "CRITERION_CODE_RE",
    "ID_RE",
    "ITEM_CODE_RE",
    "LEVEL_KEY_RE",
    "TOLERANCE",
    "ChecklistError",
    "Finding",
    "Keys",
    "Locate",
    "Node",
    "Problem",
    "SourceMap",
    "checklist_findings",
    "format_number",
    "is_multiple",
    "item_findings",
    "node_code",
    "parse_error_path",
    "split_path",
    "struct_at",
    "translate_validation_error",
    "validate_checklist",
    "validate_source",
]


def node_code(checklist: Checklist, node: Node) -> str | None:
    """The code of the area, criterion or item a node designates (None for the checklist)."""
    try:
        if len(node) == 1:
            return checklist.areas[node[0]].code
        if len(node) == 2:
            return checklist.areas[node[0]].criteria[node[1]].code
        if len(node) == 3:
            return checklist.areas[node[0]].criteria[node[1]].items[node[2]].code
    except IndexError:
        pass
    return None


_NODE_KIND = {1: "lĩnh vực", 2: "tiêu chí", 3: "tiêu chí thành phần"}


def validate_checklist(
    checklist: Checklist, filename: str = "<bộ tiêu chí>", locate: Locate | None = None
) -> list[Problem]:
    """Check a decoded checklist against every rule of the format; an empty list means valid.

    `locate` maps a node and keys to (file label, line); without it problems carry no line.
    """
    where: Locate = locate or (lambda node, keys: (filename, None))

    def describe(node: Node) -> str:
        _, line = where(node, ())
        text = f'{_NODE_KIND.get(len(node), "mục")} "{node_code(checklist, node)}"'
        return f"{text} ở dòng {line}" if line is not None else text

    problems = []
    for finding in checklist_findings(checklist, describe):
        file, line = where(finding.node, finding.keys)
        problems.append(Problem(file, line, node_code(checklist, finding.node), finding.message))
    return problems


def validate_source(source: str, filename: str) -> tuple[Checklist | None, list[Problem]]:
    """Decode and check one checklist's TOML text.

    Returns (checklist, []) when valid, and (None, problems) otherwise: syntax errors, type
    errors and every broken rule, each with the file, the line and the code it concerns.
    """
    try:
        checklist = msgspec.toml.decode(source, type=Checklist)
    except msgspec.ValidationError as exc:
        smap = SourceMap(source, msgspec.toml.decode(source))
        path, message = translate_validation_error(str(exc))
        node, keys = split_path(path)
        return None, [Problem(filename, smap.locate(node, keys), smap.codes.get(node), message)]
    except msgspec.DecodeError as exc:
        return None, [syntax_problem(str(exc), filename, source)]
    smaps: list[SourceMap] = []

    def locate(node: Node, keys: Keys) -> tuple[str, int | None]:
        if not smaps:  # built only when a rule is broken: valid files skip the text search
            smaps.append(SourceMap(source, msgspec.toml.decode(source)))
        return filename, smaps[0].locate(node, keys)

    problems = validate_checklist(checklist, filename, locate)
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    return (None if problems else checklist), problems
