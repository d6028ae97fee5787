"""Jinja environment: filters and globals every template may use."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec
from markupsafe import Markup

from litestar.plugins.jinja import JinjaTemplateEngine

from inspect_app import __version__
from inspect_app.models import MEMBER_ROLE_LABELS, ROLE_LABELS, UNIT_KIND_LABELS, VISIT_STATUS_LABELS
from inspect_app.services.answers import answer_label
from inspect_app.services.capture import score_state
from inspect_app.text import file_size, fold, short_date, vn_number
from inspect_app.web.common import dom_id
from inspect_app.web.static import static_file

HTMX_FILE = "js/htmx-2.0.11.min.js"


VIETNAM = timezone(timedelta(hours=7))  # no daylight saving time


def local_time(value: str | None) -> str:
    """A stored UTC time as Vietnamese local time: "14:05 23/11/2026" (today: just "14:05")."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    # A time without a zone is a camera's EXIF clock: already local, shown as it is.
    moment = moment.astimezone(VIETNAM) if moment.tzinfo else moment
    if moment.date() == datetime.now(VIETNAM).date():
        return f"{moment:%H:%M}"
    return f"{moment:%H:%M %d/%m/%Y}"


def asset(path: str) -> str:
    """URL of a static file with its content hash: browsers may keep it for a year, and a new
    release changes the URL (tablets on 3G re-download only what changed)."""
    found = static_file(path)
    if found is None:
        raise FileNotFoundError(f"static/{path}")
    return f"/static/{path.lstrip('/')}?v={found.digest}"


def inline_style(path: str) -> Markup:
    """A style sheet's text as served (comments out), for a `<style>` the CSP allows by its hash
    (`security.INLINE_STYLES`)."""
    found = static_file(path)
    if found is None:
        raise FileNotFoundError(f"static/{path}")
    return Markup(found.data.decode())


def configure_environment(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.filters["short_date"] = short_date
    env.filters["points"] = vn_number
    env.filters["file_size"] = file_size
    env.filters["local_time"] = local_time
    env.filters["domid"] = dom_id
    env.filters["fold"] = fold
    env.filters["answer_label"] = answer_label
    env.filters["builtins"] = msgspec.to_builtins  # a Struct for `tojson` (a sample's columns, a from_sample rule)
    env.globals.update(
        inline_style=inline_style,
        ROLE_LABELS=ROLE_LABELS,
        UNIT_KIND_LABELS=UNIT_KIND_LABELS,
        VISIT_STATUS_LABELS=VISIT_STATUS_LABELS,
        MEMBER_ROLE_LABELS=MEMBER_ROLE_LABELS,
        APP_VERSION=__version__,
        HTMX_FILE=HTMX_FILE,
        asset=asset,
        score_state=score_state,
    )
    env.trim_blocks = True
    env.lstrip_blocks = True
