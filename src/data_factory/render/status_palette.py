"""The colours of the status page (render.status_html): one per kind of cell
and of gate decision, each with the ink its glyph is drawn in.

The palette is Okabe and Ito's "Color Universal Design" set (2008): eight
colours chosen to stay apart under the common colour-vision deficiencies
(protanopia, deuteranopia, tritanopia). Each colour means one thing: red
(vermillion) is "failed" only (its build errored, or an error-severity check
failed), blue is "blocked" (an asset that is blocked, a gate that blocks),
yellow is "stale"; the three differ in lightness as well as hue, so they stay
apart in greyscale too. Colour is never alone: every cell carries the glyph
of the terminal grid (render.status_table.GLYPHS), and so does the legend.
"""

from __future__ import annotations

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

DARK_INK, LIGHT_INK = "#1b1b1b", "#ffffff"

# kind -> (background, ink of the glyph on it)
PALETTE: dict[str, tuple[str, str]] = {
    "ok": (OKABE_ITO["bluish_green"], LIGHT_INK),
    # consumable with a warning: the green of consumable, lightened (its
    # glyph, ~, tells the warning; the hue stays that of "usable")
    "warned": ("#99D8C7", DARK_INK),
    "check_failed": (OKABE_ITO["vermillion"], LIGHT_INK),
    "failed": (OKABE_ITO["vermillion"], LIGHT_INK),
    "blocked": (OKABE_ITO["blue"], LIGHT_INK),
    "stale": (OKABE_ITO["yellow"], DARK_INK),
    "missing": ("#E9ECEF", DARK_INK),
    "not_available": (OKABE_ITO["sky_blue"], DARK_INK),
    "invalid": (OKABE_ITO["black"], LIGHT_INK),
    "release": (OKABE_ITO["bluish_green"], LIGHT_INK),
    "approved": (OKABE_ITO["reddish_purple"], DARK_INK),
    "block": (OKABE_ITO["blue"], LIGHT_INK),
}
