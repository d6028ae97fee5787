"""Jinja environment: filters and globals every template may use."""

from __future__ import annotations

from litestar.plugins.jinja import JinjaTemplateEngine

from inspect_app import __version__
from inspect_app.models import MEMBER_ROLE_LABELS, ROLE_LABELS, UNIT_KIND_LABELS, VISIT_STATUS_LABELS
from inspect_app.text import short_date

HTMX_FILE = "js/htmx-2.0.11.min.js"


def points(value: float | None) -> str:
    """Vietnamese number style: decimal comma, no trailing zeros ("1,5"; "12")."""
    if value is None:
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def configure_environment(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.filters["short_date"] = short_date
    env.filters["points"] = points
    env.globals.update(
        ROLE_LABELS=ROLE_LABELS,
        UNIT_KIND_LABELS=UNIT_KIND_LABELS,
        VISIT_STATUS_LABELS=VISIT_STATUS_LABELS,
        MEMBER_ROLE_LABELS=MEMBER_ROLE_LABELS,
        APP_VERSION=__version__,
        HTMX_FILE=HTMX_FILE,
    )
    env.trim_blocks = True
    env.lstrip_blocks = True
