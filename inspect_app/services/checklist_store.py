"""Checklist files → database versions, and versions back to Structs for rendering."""

from __future__ import annotations

from pathlib import Path

from inspect_app.checklists.loader import LoadedChecklist, checklist_from_json, checklist_to_json, load_checklists
from inspect_app.checklists.model import Checklist
from inspect_app.db import Database
from inspect_app.queries import audit
from inspect_app.queries import checklists as q


async def sync_checklists(db: Database, directory: Path) -> dict[str, LoadedChecklist]:
    """Load every file (raising ChecklistError if any is invalid) and record new versions.

    Returns the current version of each checklist by id. A changed file becomes a new version;
    the old one stays in the database for the visits pinned to it.
    """
    loaded = load_checklists(directory)
    async with db.transaction() as tx:
        for item in loaded:
            checklist = item.checklist
            items = checklist.items()
            is_new = await q.ensure_version(
                tx, checklist_id=checklist.id, version_hash=item.version_hash, version_label=checklist.version,
                title=checklist.title, item_count=len(items),
                max_points=sum(area.max_points for area in checklist.areas),
                content_json=checklist_to_json(checklist), source_path=str(Path(item.path).name),
            )
            if is_new:
                await audit.record(tx, actor_id=None, actor="system", action="checklist.version",
                                   subject_type="checklist", subject_id=checklist.id,
                                   after={"version": checklist.version, "hash": item.version_hash})
    return {item.checklist.id: item for item in loaded}


_cache: dict[tuple[str, str], Checklist] = {}


async def checklist_version(db: Database, checklist_id: str, version_hash: str) -> Checklist | None:
    """The checklist exactly as it was at that version (cached: versions never change)."""
    key = (checklist_id, version_hash)
    if key not in _cache:
        content = await q.get_content(db, checklist_id, version_hash)
        if content is None:
            return None
        _cache[key] = checklist_from_json(content)
    return _cache[key]
