"""Tray icon images, drawn with Pillow: one per state.

    image = icon_image("paused")          # a 64x64 RGBA PIL image
    STATES                                # ("running", "paused", "loading", "attention")

Drawn rather than shipped as files, so nothing needs to be found on disk in a frozen build and every
size stays sharp. The glyph is a magnifying lens (Feedlens "looks at" the feed); the state changes
the colour and adds a mark: pause bars, three loading dots, or an attention badge.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw

STATES = ("running", "paused", "loading", "attention")
COLOURS = {
    "running": (15, 118, 110),   # teal
    "paused": (100, 116, 139),   # slate
    "loading": (37, 99, 235),    # blue
    "attention": (15, 118, 110),
}
BADGE = (234, 88, 12)  # orange
WHITE = (255, 255, 255, 255)


@lru_cache(maxsize=16)
def icon_image(state: str, size: int = 64) -> Image.Image:
    """The icon for ``state`` at ``size`` pixels (drawn at 4x and scaled down for smooth edges)."""
    if state not in STATES:
        raise ValueError(f"unknown tray state {state!r}; states: {', '.join(STATES)}")
    s = size * 4
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 4.5, fill=(*COLOURS[state], 255))
    cx, cy, r, w = int(s * 0.43), int(s * 0.43), int(s * 0.22), max(4, s // 11)
    if state == "paused":
        bar_w, bar_h = s // 8, s // 2
        for x in (s // 2 - bar_w - s // 16, s // 2 + s // 16):
            d.rounded_rectangle((x, (s - bar_h) // 2, x + bar_w, (s + bar_h) // 2), radius=bar_w // 3, fill=WHITE)
    else:
        d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=WHITE, width=w)
        hx, hy = cx + int(r * 0.75), cy + int(r * 0.75)
        d.line((hx, hy, int(s * 0.80), int(s * 0.80)), fill=WHITE, width=int(w * 1.3))
        if state == "loading":
            dot = max(3, s // 22)
            for i, x in enumerate((cx - r // 2, cx, cx + r // 2)):
                d.ellipse((x - dot, cy - dot, x + dot, cy + dot), fill=(255, 255, 255, 255 - 70 * i))
    if state == "attention":
        br = int(s * 0.2)
        bx, by = s - br - 2, br + 2
        d.ellipse((bx - br, by - br, bx + br, by + br), fill=(*BADGE, 255), outline=WHITE, width=max(2, s // 40))
        d.rounded_rectangle((bx - s // 40, by - br // 2, bx + s // 40, by + br // 6), radius=s // 80, fill=WHITE)
        d.ellipse((bx - s // 36, by + br // 3, bx + s // 36, by + br // 3 + s // 18), fill=WHITE)
    return img.resize((size, size), Image.LANCZOS)
