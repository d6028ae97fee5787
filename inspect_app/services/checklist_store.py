"""Checklist versions in the database: files imported at start-up, browser publishes, and versions back to
Structs for rendering.

The database is the truth: the current version of a checklist is the latest published there. A file in
`checklists/` is imported only when its content hash is new, so a restart never undoes a publish made in
the browser (services/checklist_drafts.py), and an unchanged file is a no-op.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from inspect_app.checklists.loader import LoadedChecklist, checklist_from_json, checklist_to_json, load_checklists
from inspect_app.checklists.model import Checklist
from inspect_app.db import Database, Tx
from inspect_app.queries import audit
from inspect_app.queries import checklists as q


_cache: dict[tuple[str, str], Checklist] = {}


async def sync_checklists(db: Database, directory: Path) -> dict[str, LoadedChecklist]:
    """Load every file (raising ChecklistError if any is invalid) and record the versions not yet known.

    Returns the current version of each checklist by id: the latest published in the database. A changed
    file becomes a new version; the old one stays in the database for the visits pinned to it.
    """
    loaded = load_checklists(directory)
    async with db.transaction() as tx:
        for item in loaded:
            if await record_version(tx, item.checklist, item.version_hash, source_path=Path(item.path).name):
                await audit.record(tx, actor_id=None, actor="system", action="checklist.version",
                                   subject_type="checklist", subject_id=item.checklist.id,
                                   after={"version": item.checklist.version, "hash": item.version_hash})
    return await current_checklists(db)


async def record_version(tx: Tx, checklist: Checklist, content_hash: str, *, source_path: str,
                         published_by: int | None = None) -> bool:
    """Store a version unless its hash is known; True when it is new (and so now the current one)."""
    return await q.ensure_version(
        tx, checklist_id=checklist.id, version_hash=content_hash, version_label=checklist.version,
        title=checklist.title, item_count=len(checklist.items()),
        max_points=sum(area.max_points for area in checklist.areas),
        content_json=checklist_to_json(checklist), source_path=source_path, published_by=published_by,
    )


async def current_checklists(db: Database | Tx) -> dict[str, LoadedChecklist]:
    """The current (latest published) version of every checklist, as `Current.of` answers it."""
    current: dict[str, LoadedChecklist] = {}
    for checklist_id, content_hash, content in await q.latest_versions(db):
        checklist = checklist_from_json(content)
        _cache[(checklist_id, content_hash)] = checklist
        current[checklist_id] = LoadedChecklist(checklist, content_hash, "", Path(f"{checklist_id}.toml"))
    return current


async def checklist_version(db: Database, checklist_id: str, version_hash: str) -> Checklist | None:
    """The checklist exactly as it was at that version (cached: versions never change)."""
    key = (checklist_id, version_hash)
    if key not in _cache:
        content = await q.get_content(db, checklist_id, version_hash)
        if content is None:
            return None
        _cache[key] = checklist_from_json(content)
    return _cache[key]


class Current:
    """The current version of every checklist as this process serves it (`app.state.checklists`), kept in
    step with the database: every `of` reads the newest version's id (one point read) and reloads the
    current versions when it changed, so a version published by any app process — several serve one
    database (issue 20) — is what the next request on every process offers to new visits."""

    def __init__(self, loaded: dict[str, LoadedChecklist], generation: int) -> None:
        self.loaded = loaded
        self.generation = generation
        self._lock = asyncio.Lock()

    @classmethod
    async def load(cls, db: Database) -> Current:
        generation = await q.generation(db)
        return cls(await current_checklists(db), generation)

    async def of(self, db: Database) -> dict[str, LoadedChecklist]:
        generation = await q.generation(db)
        if generation != self.generation:
            async with self._lock:
                if generation != self.generation:
                    # Read the marker before the versions: a publish between the two reloads once more.
                    self.loaded, self.generation = await current_checklists(db), generation
        return self.loaded
