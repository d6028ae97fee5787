"""Locating nodes (areas, criteria, items) and keys inside them in TOML source text."""

from __future__ import annotations

import bisect
import re

from .problems import LEVEL_NAMES, Keys, Node


def _raw_nodes(raw: object) -> list[tuple[Node, str | None]]:
    """Areas, criteria and items of an undecoded TOML document, in document (pre-)order."""
    out: list[tuple[Node, str | None]] = []

    def children(value: object, key: str) -> list:
        items = value.get(key) if isinstance(value, dict) else None
        return items if isinstance(items, list) else []

    def code(value: object) -> str | None:
        got = value.get("code") if isinstance(value, dict) else None
        return got if isinstance(got, str) else None

    for a, area in enumerate(children(raw, "areas")):
        out.append(((a,), code(area)))
        for c, crit in enumerate(children(area, "criteria")):
            out.append(((a, c), code(crit)))
            for i, item in enumerate(children(crit, "items")):
                out.append(((a, c, i), code(item)))
    return out


class SourceMap:
    """Finds the line of an area, criterion or item, and of a key inside it, in TOML text.

    This is a locator over text already parsed by tomllib, not a parser: it looks for each
    node's `code = "…"` assignment (the n-th one for a duplicated code), falling back to
    counting `[[areas.criteria.items]]`-style headers, and then for a key inside the node's span.
    """

    def __init__(self, source: str, raw: object):
        self.text = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.nodes = _raw_nodes(raw)
        self.codes = {node: code for node, code in self.nodes}
        self.starts: dict[Node, int] = {}
        self.code_offsets: dict[Node, int] = {}
        self._locate_nodes()
        headers = [m.start() for m in re.finditer(r"(?m)^[ \t]*\[", source)]
        self.first_header = headers[0] if headers else len(source)

    def _locate_nodes(self) -> None:
        occurrences: dict[str, int] = {}
        by_depth: dict[int, list[Node]] = {1: [], 2: [], 3: []}
        for node, _ in self.nodes:
            by_depth[len(node)].append(node)
        header_offsets = {
            depth: [
                m.start()
                for m in re.finditer(
                    r"(?m)^[ \t]*\[\[[ \t]*" + r"[ \t]*\.[ \t]*".join(LEVEL_NAMES[:depth]) + r"[ \t]*\]\]",
                    self.text,
                )
            ]
            for depth in (1, 2, 3)
        }
        for node, code in self.nodes:
            offset = None
            if code is not None:
                nth = occurrences.get(code, 0)
                occurrences[code] = nth + 1
                pattern = r"(?<![\w.\-])code[ \t]*=[ \t]*(?:\"|')" + re.escape(code) + r"(?:\"|')"
                matches = [m.start() for m in re.finditer(pattern, self.text)]
                if nth < len(matches):
                    offset = matches[nth]
            if offset is None:
                peers, headers = by_depth[len(node)], header_offsets[len(node)]
                if len(peers) == len(headers):
                    offset = headers[peers.index(node)]
            if offset is None:
                continue
            self.code_offsets[node] = offset
            line_start = self.line_starts[self.line_of(offset) - 1]
            if "{" in self.text[line_start:offset]:
                self.starts[node] = offset  # written as an inline table
            else:
                headers_before = [m.start() for m in re.finditer(r"(?m)^[ \t]*\[", self.text[:offset])]
                self.starts[node] = headers_before[-1] if headers_before else offset

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return bisect.bisect_right(self.line_starts, offset)

    def _span(self, node: Node) -> tuple[int, int] | None:
        if node not in self.starts:
            return None
        start = self.starts[node]
        later = [s for s in self.starts.values() if s > start]
        return start, min(later) if later else len(self.text)

    def node_line(self, node: Node) -> int | None:
        """Line of a node's `code = …`, or of its nearest located ancestor."""
        while node:
            if node in self.code_offsets:
                return self.line_of(self.code_offsets[node])
            node = node[:-1]
        return None

    def locate(self, node: Node, keys: Keys) -> int | None:
        """Line of keys below a node, as precisely as can be found; else the node's line."""
        if not keys or not isinstance(keys[0], str):
            return self.node_line(node)
        if node:
            span = self._span(node)
            if span is None:
                return self.node_line(node)
            found = self._find_key(keys, *span, header_prefix=r"(?:[\w\-]+[ \t]*\.[ \t]*)*")
        else:
            found = self._find_key(keys, 0, self.first_header, header_prefix="")
            if found is None:  # a top-level array of tables such as [[rating_bands]]
                found = self._find_key(
                    keys, self.first_header, len(self.text), header_prefix="", headers_only=True
                )
        return self.line_of(found) if found is not None else self.node_line(node)

    def _find_key(
        self, keys: Keys, start: int, end: int, *, header_prefix: str, headers_only: bool = False
    ) -> int | None:
        key = re.escape(str(keys[0]))
        assign = re.compile(r"(?m)(?:^|[{,])[ \t]*" + key + r"[ \t]*[=.]")
        header = re.compile(r"(?m)^[ \t]*\[\[?[ \t]*" + header_prefix + key + r"[ \t]*\]\]?")
        header_hits = [m.start() for m in header.finditer(self.text, start, end)]
        assign_hits = [] if headers_only else [m.start() for m in assign.finditer(self.text, start, end)]
        if header_hits and (not assign_hits or header_hits[0] < assign_hits[0]):
            return self._descend_headers(keys, header_hits, end)
        if not assign_hits:
            return None
        return self._descend_inline(keys, assign_hits[0], end)

    def _descend_headers(self, keys: Keys, hits: list[int], end: int) -> int:
        offset = hits[0]
        rest = keys[1:]
        if rest and isinstance(rest[0], int):
            if rest[0] >= len(hits):
                return offset
            offset = hits[rest[0]]
            rest = rest[1:]
        if rest and isinstance(rest[0], str):
            nxt = re.compile(r"(?m)^[ \t]*\[").search(self.text, offset + 1, end)
            leaf = re.compile(r"(?m)(?:^|[{,])[ \t]*" + re.escape(rest[0]) + r"[ \t]*=")
            hit = leaf.search(self.text, offset, nxt.start() if nxt else end)
            if hit:
                return hit.start()
        return offset

    def _descend_inline(self, keys: Keys, offset: int, end: int) -> int:
        rest = keys[1:]
        if rest and isinstance(rest[0], int):
            # Each element of a list of inline tables opens one `{`; the i-th marks element i.
            braces = [m.start() for m in re.finditer(r"\{", self.text[offset:end])]
            if rest[0] >= len(braces):
                return offset
            offset += braces[rest[0]]
            rest = rest[1:]
            close = self.text.find("}", offset, end)
            end = close if close != -1 else end
        if rest and isinstance(rest[0], str):
            leaf = re.compile(r"(?:^|[{,.\s])" + re.escape(rest[0]) + r"[ \t]*=")
            hit = leaf.search(self.text, offset, end)
            if hit:
                return hit.start() + (1 if hit.group(0)[0] in "{,.\n \t" else 0)
        return offset
