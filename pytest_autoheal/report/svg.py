"""Inline SVG charts for the health report: no script, no external file, every label escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

SERIES = (("passed", "#2e7d32"), ("flaky", "#f9a825"), ("skipped", "#9e9e9e"), ("failed", "#c62828"), ("errors", "#6a1b9a"))


def _open(width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
    )


def outcome_trend(runs: Sequence[Mapping[str, Any]], *, width: int = 760, height: int = 220, last: int = 60) -> Markup:
    """Stacked bars of test outcomes per run (oldest left), with the failure-cluster count as a line."""
    runs = list(runs)[-last:]
    if not runs:
        return Markup("")
    pad_l, pad_r, pad_t, pad_b = 40, 40, 10, 28
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    top = max(1, *(sum(int(r.get(k) or 0) for k, _ in SERIES) for r in runs))
    top_c = max(1, *(int(r.get("clusters") or 0) for r in runs))
    step = plot_w / len(runs)
    bar = max(1.0, step * 0.7)
    parts = [
        _open(width, height),
        "<title>Test outcomes per run (bars) and distinct failures (line)</title>",
        f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{pad_l + plot_w}" y2="{pad_t + plot_h}" stroke="#888"/>',
        f'<text x="{pad_l - 4}" y="{pad_t + 10}" text-anchor="end" class="axis">{top}</text>',
        f'<text x="{pad_l - 4}" y="{pad_t + plot_h}" text-anchor="end" class="axis">0</text>',
        f'<text x="{pad_l + plot_w + 4}" y="{pad_t + 10}" class="axis" fill="#1565c0">{top_c}</text>',
    ]
    points = []
    for i, r in enumerate(runs):
        x = pad_l + i * step + (step - bar) / 2
        y = pad_t + plot_h
        label = escape(f"{r.get('run_id')} ({r.get('finished_at') or '?'}): " + ", ".join(f"{int(r.get(k) or 0)} {k}" for k, _ in SERIES))
        parts.append(f"<g><title>{label}; {int(r.get('clusters') or 0)} distinct failures</title>")
        for key, colour in SERIES:
            n = int(r.get(key) or 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}"/>')
        parts.append("</g>")
        points.append(f"{pad_l + i * step + step / 2:.1f},{pad_t + plot_h - plot_h * int(r.get('clusters') or 0) / top_c:.1f}")
    parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#1565c0" stroke-width="2"/>')
    first_at, last_at = (escape(str(r.get("finished_at") or "")[:16]) for r in (runs[0], runs[-1]))
    parts.append(f'<text x="{pad_l}" y="{height - 8}" class="axis">{first_at}</text>')
    parts.append(f'<text x="{pad_l + plot_w}" y="{height - 8}" text-anchor="end" class="axis">{last_at}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def class_bars(by_class: Sequence[tuple[str, int]], *, width: int = 360) -> Markup:
    """Horizontal bars: distinct failures per class."""
    if not by_class:
        return Markup("")
    row, label_w = 20, 140
    height = row * len(by_class) + 4
    top = max(n for _, n in by_class)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
    ]
    parts.append("<title>Distinct failures per class</title>")
    for i, (name, n) in enumerate(by_class):
        y = i * row + 2
        w = (width - label_w - 40) * n / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" class="axis">{escape(name)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{max(w, 1):.1f}" height="{row - 6}" fill="#c62828"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" class="axis">{n}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
