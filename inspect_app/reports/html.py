"""Print-ready HTML documents (A4, print CSS) rendered from the same Jinja templates for the web
and for files: a file embeds its stylesheet and thumbnails, so it opens and prints anywhere."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from inspect_app.reports import rules, svg, tables, wording
from inspect_app.reports.visit_doc import VisitDoc, notice_signature
from inspect_app.settings import ROOT
from inspect_app.text import official_date, short_date, vn_number

PRINT_CSS = ROOT / "static" / "css" / "print.css"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(ROOT / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(points=vn_number, short_date=short_date, vn_time=rules.vietnam_time,
                       device_time=rules.device_time)
    env.globals.update(w=wording, svg=svg, tables=tables, official_date=official_date,
                       notice_signature=notice_signature)
    return env


def render(name: str, *, standalone: bool, **context: Any) -> str:
    """Render a print template; `standalone` inlines the CSS (a file), else links it (a web page)."""
    css = PRINT_CSS.read_text(encoding="utf-8") if standalone else None
    return environment().get_template(name).render(css=css, standalone=standalone, **context)


def data_uri(path: str | None, media_type: str = "image/jpeg") -> str | None:
    if not path or not Path(path).exists():
        return None
    return f"data:{media_type};base64," + base64.b64encode(Path(path).read_bytes()).decode()


def signed_block(sig) -> dict[str, Any] | None:
    """A signature block's drawn signature (SignatureImage) with its PNG inline: a few KB, in pages and
    files alike, so no route serves signature images."""
    if sig is None:
        return None
    return {"name": sig.name, "position": sig.position, "current": sig.current,
            "src": data_uri(sig.image, "image/png")}


def visit_html(kind: str, doc: VisitDoc, *, standalone: bool, issued: bool = False, body_only: bool = False,
               stamp=None) -> str:
    """The minutes ("minutes") or the conclusion notice ("notice") of a visit as one HTML page, or only
    its body (`body_only`: the signing page shows the minutes inline, as printed).

    Web pages point thumbnails at the guarded evidence route; files carry them as data URIs.
    `issued` leaves the form's signing hints out (an issued document keeps only the blank space);
    `stamp` (services/issuing.IssueStamp) prints the number, date, issuer, signer and recipients of an issue.
    """
    def thumb(ev) -> str | None:
        if not ev.thumb:
            return None
        return data_uri(ev.thumb) if standalone else f"/evidence/{ev.id}/file?size=thumb"

    template = "reports/minutes.html" if kind == "minutes" else "reports/notice.html"
    layout = {"layout": "reports/_body_only.html"} if body_only else {}
    return render(template, standalone=standalone, d=doc, thumb=thumb, issued=issued or stamp is not None,
                  signed=signed_block, stamp=stamp, **layout)


def plan_context(report, area: str = "") -> dict[str, Any]:
    return {"r": report, "tables": tables, "svg": svg,
            "charts": [svg.group_charts(g, report.threshold, area) for g in report.groups]}


def plan_html(report, *, standalone: bool) -> str:
    """The plan's consolidated report as a print-ready page."""
    plan = report.plan
    return render("reports/plan_print.html", standalone=standalone, parent=rules.upper_vn(plan.issuer),
                  place_date=official_date(report.today, rules.place_name(plan.province_name)),
                  **plan_context(report))
