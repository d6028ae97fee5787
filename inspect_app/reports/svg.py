"""Charts as hand-written SVG, drawn on the server: no chart library and no script, so they read the
same on a tablet, in print and with JavaScript off. Colours come from presentation attributes
(the page's CSP forbids inline styles); every chart has a title and a text alternative."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from inspect_app.text import vn_number

FONT = 'font-family="Noto Sans, DejaVu Sans, Liberation Sans, sans-serif"'
BLUE, LIGHT, RED, GREEN, INK, GRID = "#0b5394", "#9fc1e6", "#b3261e", "#1e7b34", "#1b1f24", "#c9d1db"
ROW = 26


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


EM = 0.72  # an upper bound on the average advance of a character, in em (13 px text: ≤ 9.4 px a character)
EM_TEXT = 0.58  # the usual average over words (Vietnamese text in Noto or DejaVu Sans), for shortening labels


def text_width(text: str, size: float = 13) -> float:
    """How wide `text` can be at `size` px in the chart fonts (an overestimate: layout keeps a margin)."""
    return len(text) * size * EM


def _fit(text: str, width: float) -> str:
    """Shorten `text` to `width` px, at a word's end when one is near, with "…"."""
    limit = max(4, int(width / (13 * EM_TEXT)))
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    head = cut.rsplit(" ", 1)[0] if " " in cut[-12:] else cut
    return head.rstrip(" ,;:.–-") + "…"


def _clear_of(x: float, text: str, line_x: float | None, gap: float = 5) -> float:
    """Where a start-anchored label wanted at `x` goes so that it never crosses the vertical line at
    `line_x`: where it is if clear, otherwise just right of the line."""
    if line_x is None:
        return x
    right = x + text_width(text)
    if right + gap <= line_x or x - gap >= line_x:
        return x
    return line_x + gap


def _frame(width: int, height: int, title: str, body: list[str], desc: str = "") -> Markup:
    head = (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"'
            f' aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet" {FONT} font-size="13">'
            f"<title>{escape(title)}</title>" + (f"<desc>{escape(desc)}</desc>" if desc else ""))
    return Markup(head + "".join(body) + "</svg>")


def _axis(x0: int, span: int, top: int, bottom: int, ticks: Sequence[float], scale: float, suffix: str) -> list[str]:
    parts = []
    for tick in ticks:
        x = x0 + tick / scale * span
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID}" stroke-width="1"/>'
                     f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle" fill="{INK}">'
                     f"{vn_number(tick)}{suffix}</text>")
    return parts


def bar_chart(rows: Sequence[tuple[str, float | None]], *, title: str, scale: float = 100.0, suffix: str = "%",
              threshold: float | None = None, width: int = 760, label_width: int = 230) -> Markup:
    """Horizontal bars, one per row (label, value); values under `threshold` are drawn in red."""
    top, span = 8, width - label_width - 70
    height = top + ROW * len(rows) + 28
    parts = _axis(label_width, span, top, top + ROW * len(rows), [scale * i / 4 for i in range(5)], scale, suffix)
    line_x = None if threshold is None else label_width + max(0.0, min(threshold, scale)) / scale * span
    for index, (label, value) in enumerate(rows):
        y = top + index * ROW
        parts.append(f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="{INK}">'
                     f"{escape(_clip(label, 30))}</text>")
        if value is None:
            if label != "…":  # the gap between the best and the weakest units has no value of its own
                x = _clear_of(label_width + 4, "chưa có điểm", line_x)
                parts.append(f'<text x="{x:.1f}" y="{y + 17}" fill="{INK}">chưa có điểm</text>')
            continue
        length = max(0.0, min(value, scale)) / scale * span
        colour = RED if threshold is not None and value < threshold else BLUE
        shown = f"{vn_number(value)}{suffix}"
        x = _clear_of(label_width + length + 5, shown, line_x)
        parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}" fill="{colour}">'
                     f"<title>{escape(label)}: {shown}</title></rect>"
                     f'<text x="{x:.1f}" y="{y + 17}" fill="{INK}">{shown}</text>')
    if line_x is not None:
        parts.append(f'<line class="threshold" x1="{line_x:.1f}" y1="{top}" x2="{line_x:.1f}"'
                     f' y2="{top + ROW * len(rows)}" stroke="{RED}" stroke-width="2" stroke-dasharray="5 4"/>')
    return _frame(width, height, title, parts)


def range_chart(rows: Sequence[tuple[str, float | None, float | None, float | None]], *, title: str,
                width: int = 760, label_width: int = 230) -> Markup:
    """Area averages (bar) with the lowest and highest unit as a whisker, in percent of the area maximum."""
    top, span = 8, width - label_width - 70
    height = top + ROW * len(rows) + 28
    parts = _axis(label_width, span, top, top + ROW * len(rows), [0, 25, 50, 75, 100], 100.0, "%")
    for index, (label, mean, low, high) in enumerate(rows):
        y = top + index * ROW
        parts.append(f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="{INK}">'
                     f"{escape(_clip(label, 30))}</text>")
        if mean is None:
            continue
        length = mean / 100 * span
        parts.append(f'<rect x="{label_width}" y="{y + 5}" width="{length:.1f}" height="{ROW - 10}" fill="{LIGHT}">'
                     f"<title>{escape(label)}: trung bình {vn_number(mean)}%, thấp nhất {vn_number(low)}%, "
                     f"cao nhất {vn_number(high)}%</title></rect>")
        if low is not None and high is not None:
            x1, x2, mid = label_width + low / 100 * span, label_width + high / 100 * span, y + ROW / 2
            parts.append(f'<line x1="{x1:.1f}" y1="{mid}" x2="{x2:.1f}" y2="{mid}" stroke="{INK}" stroke-width="2"/>'
                         f'<line x1="{x1:.1f}" y1="{mid - 6}" x2="{x1:.1f}" y2="{mid + 6}" stroke="{INK}" stroke-width="2"/>'
                         f'<line x1="{x2:.1f}" y1="{mid - 6}" x2="{x2:.1f}" y2="{mid + 6}" stroke="{INK}" stroke-width="2"/>')
        parts.append(f'<circle cx="{label_width + length:.1f}" cy="{y + ROW / 2}" r="4" fill="{BLUE}"/>'
                     f'<text x="{label_width + span + 8}" y="{y + 17}" fill="{INK}">{vn_number(mean)}%</text>')
    return _frame(width, height, title, parts)


def count_chart(rows: Sequence[tuple[str, int, str]], *, title: str, total: int, width: int = 760,
                label_width: int = 360) -> Markup:
    """How many units failed each item: (item code, count, item text). Each row is labelled with its code
    and the item's text shortened to fit; the full text is the row's tooltip (<title>) and, for screen
    readers, the chart's description (<desc>)."""
    top, span = 8, width - label_width - 90
    height = top + ROW * len(rows) + 28
    scale = max(total, 1)
    ticks = sorted({round(scale * i / 4) for i in range(5)})
    parts = _axis(label_width, span, top, top + ROW * len(rows), ticks, scale, "")
    described = []
    for index, (code, count, text) in enumerate(rows):
        y = top + index * ROW
        length = count / scale * span
        full = f"{code} {text}".strip()
        described.append(f"{full}: {count}/{total} đơn vị")
        parts.append(f"<g><title>{escape(full)}: {count}/{total} đơn vị</title>"
                     f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="{INK}">'
                     f"{escape(_fit(full, label_width - 16))}</text>"
                     f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}" fill="{RED}"/>'
                     f'<text x="{label_width + length + 5:.1f}" y="{y + 17}" fill="{INK}">{count}/{total}</text></g>')
    return _frame(width, height, title, parts, desc="; ".join(described))


def progress_bar(done: int, signed: int, total: int, *, width: int = 320) -> Markup:
    """Signed off (dark), done but not signed (light), the rest (grey), with the figures as text."""
    if total <= 0:
        return Markup('<span class="muted">Chưa có cuộc kiểm tra.</span>')
    signed_w = signed / total * width
    done_w = max(0, done - signed) / total * width
    label = f"{signed}/{total} đã ký duyệt, {done}/{total} đã kiểm tra"
    parts = [f'<rect x="0" y="0" width="{width}" height="14" fill="{GRID}"/>',
             f'<rect x="0" y="0" width="{signed_w:.1f}" height="14" fill="{GREEN}"/>',
             f'<rect x="{signed_w:.1f}" y="0" width="{done_w:.1f}" height="14" fill="{LIGHT}"/>']
    return Markup(f'<svg class="progress-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 14" '
                  f'width="{width}" height="14" role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
                  + "".join(parts) + "</svg>")


MAX_BARS = 40


def group_charts(group, threshold: float, area: str = "") -> dict[str, Markup]:
    """The three charts of a checklist group: score by unit, area averages, shortcoming frequency.

    With many units the unit chart shows the best and the weakest 20 (a 3,321-bar chart reads as
    noise); with an area chosen, units are scored on that area and shortcomings are its items.
    """
    index = next((i for i, a in enumerate(group.areas) if a.code == area), None)
    if index is None:
        values = [(r.unit_name, r.percent) for r in group.rows]
        what = "Tỷ lệ điểm theo đơn vị"
    else:
        values = sorted(((r.unit_name, r.area_percent(index)) for r in group.rows),
                        key=lambda v: (v[1] is None, -(v[1] or 0)))
        what = f"Tỷ lệ điểm lĩnh vực {area} theo đơn vị"
    if len(values) > MAX_BARS:
        half = MAX_BARS // 2
        values = [*values[:half], ("…", None), *values[-half:]]
        what += f" ({half} cao nhất và {half} thấp nhất)"
    common = [c for c in group.common if index is None or c.area_code == area]
    return {
        "units": bar_chart(values, title=what, threshold=threshold),
        "areas": range_chart([(f"LV{s.code}. {s.title}", s.percent.mean, s.percent.minimum, s.percent.maximum)
                              for s in group.area_stats], title="Điểm trung bình theo lĩnh vực (% điểm tối đa)"),
        "common": count_chart([(c.code, c.count, c.text) for c in common], total=len(group.rows),
                              title="Số đơn vị chưa đạt điểm tối đa theo tiêu chí thành phần"),
    }
