"""Server-rendered inline SVG charts for the report screens (no script, no remote asset)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BLUE = "#1f4e79"
ORANGE = "#d9822b"
GREY = "#999"


def bar_chart(
    *, title: str, items: list[tuple[str, float | None]], target: float | None = None
) -> SafeString:
    """Horizontal bars of rates (0..1), one per label; a dashed line marks `target`."""
    items = items[:25]
    label_width, bar_width, row_height = 260, 360, 22
    height = 40 + row_height * max(len(items), 1)
    width = label_width + bar_width + 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, rate) in enumerate(items):
        y = 30 + index * row_height
        value = max(0.0, min(1.0, rate or 0.0))
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" font-size="12" text-anchor="end">'
            f"{escape(label[:40])}</text>"
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{bar_width * value:.1f}" height="15" '
            f'fill="{BLUE}"><title>{escape(label)} : {value:.1%}</title></rect>'
        )
        text = "–" if rate is None else f"{rate:.1%}".replace(".", ",")
        parts.append(
            f'<text x="{label_width + bar_width * value + 4:.1f}" y="{y + 14}" font-size="12">'
            f"{text}</text>"
        )
    if target is not None:
        x = label_width + bar_width * target
        parts.append(
            f'<line x1="{x:.1f}" y1="26" x2="{x:.1f}" y2="{height}" stroke="{GREY}" '
            'stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(*, title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> SafeString:
    """Lines of counts over time (one per series), with a legend and a few axis labels."""
    width, height, left, bottom, top = 720, 240, 50, 30, 40
    plot_w, plot_h = width - left - 20, height - top - bottom
    peak = max([max(values, default=0) for _name, values in series] + [1])
    n = max(len(labels), 1)
    step = plot_w / max(n - 1, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{GREY}"/>',
        f'<text x="{left - 6}" y="{top + 4}" font-size="11" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" font-size="11" text-anchor="end">0</text>',
    ]
    for (name, values), colour, offset in zip(series, [BLUE, ORANGE], [0, 160], strict=False):
        points = " ".join(
            f"{left + i * step:.1f},{top + plot_h - plot_h * v / peak:.1f}"
            for i, v in enumerate(values)
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'<rect x="{left + offset}" y="24" width="12" height="4" fill="{colour}"/>'
            f'<text x="{left + offset + 16}" y="30" font-size="12">{escape(name)}</text>'
        )
    every = max(1, n // 6)
    for i, label in enumerate(labels):
        if i % every == 0 or i == n - 1:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - 10}" font-size="11" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))
