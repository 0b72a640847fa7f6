"""The status page's pure parts: links from the page to evidence files, the
panel's root cause and warnings, and a palette that colour-blind readers can
tell apart."""

from __future__ import annotations

import math
from urllib.parse import unquote

import pytest
from test_explain import REBUILT, stale_report

from data_factory.render import page_links
from data_factory.render.cell_panel import root_causes, warnings
from data_factory.render.explain import cells_with_text
from data_factory.render.status_palette import PALETTE


def test_an_evidence_link_is_relative_to_the_folder_of_the_page(tmp_path):
    target = tmp_path / "home" / "evidence" / "run 1#.json"
    page_dir = tmp_path / "ci" / "pages"
    href = page_links.file_href(target, page_dir)
    assert href == "../../home/evidence/run%201%23.json"
    assert (page_dir / unquote(href)).resolve() == target.resolve()
    assert page_links.file_href(target, target.parent) == "run%201%23.json"


def test_without_a_page_folder_or_a_relative_path_the_link_is_a_file_uri(tmp_path, monkeypatch):
    target = tmp_path / "evidence" / "r1.json"
    assert page_links.file_href(target, None) == target.resolve().as_uri()

    def other_drive(*_):
        raise ValueError("path is on mount 'D:', start on mount 'C:'")

    monkeypatch.setattr(page_links.os.path, "relpath", other_drive)
    assert page_links.file_href(target, tmp_path / "pages") == target.resolve().as_uri()


def test_a_stale_cell_names_itself_as_root_with_what_changed_upstream(tmp_path):
    cells = cells_with_text(stale_report(tmp_path)["cells"])
    by_key = {(c["asset"], c["partition"]): c for c in cells}
    stale = next(c for c in cells if c["status"] == "stale")
    (root,) = root_causes(stale, by_key)
    assert root["key"] == f"{stale['asset']}@{stale['partition']}"
    assert root["text"].endswith("is stale (STALE_UPSTREAM_REBUILT)")
    assert any(REBUILT in why for why in root["why"])
    consumable = next(c for c in cells if c["consumable"])
    assert root_causes(consumable, by_key) == []


def test_a_blocked_cell_names_the_root_its_chain_names_with_the_roots_reasons():
    failed = {
        "asset": "fact",
        "partition": "2026-11-02",
        "status": "failed",
        "consumable": False,
        "reason_details": [{"code": "BUILD_ERROR", "message": "division by zero"}],
    }
    root = {**failed, "unique_id": "model.p.fact", "reasons": ["BUILD_ERROR"], "run_id": "r"}
    blocked = {
        "asset": "kpi",
        "partition": "2026-11-03",
        "status": "blocked",
        "consumable": False,
        "reason_details": [
            {
                "code": "UPSTREAM_NOT_CONSUMABLE",
                "upstream": [{"asset": "fact", "days": ["2026-11-02"]}],
                "cause": {"roots": [root]},
            }
        ],
    }
    cells = {("fact", "2026-11-02"): failed, ("kpi", "2026-11-03"): blocked}
    assert root_causes(blocked, cells) == [
        {
            "key": "fact@2026-11-02",
            "text": "fact 2026-11-02 is failed (BUILD_ERROR)",
            "why": ["the build errored: division by zero"],
        }
    ]


def test_warnings_give_rejected_lines_by_reason_as_numbers_and_warned_checks():
    cell = {
        "reason_details": [
            {
                "code": "ROWS_REJECTED",
                "rejected": 1234,
                "by_reason": {"MALFORMED_JSON": 1200, "INVALID_TYPE": 34},
            },
            {"code": "SCHEMA_DRIFT", "fields": ["sentiment_score"]},
        ],
        "checks": {"warnings": ["relationships_agent"], "blocking": []},
    }
    assert warnings(cell) == [
        "1,234 line(s) rejected and kept (34 INVALID_TYPE, 1,200 MALFORMED_JSON)",
        "unknown fields landed without them: sentiment_score",
        "warn-severity check found rows (advisory, does not block): relationships_agent",
    ]


# --------------------------------------------------------------------------
# the palette under colour-vision deficiencies
#
# Machado, Oliveira and Fernandes (2009), "A Physiologically-based Model for
# Simulation of Color Vision Deficiency", IEEE TVCG 15(6): the matrices of
# severity 1.0, applied to linear RGB. Written by hand: a 3x3 product and the
# sRGB -> CIELAB formulas (CIE 1976) are all the test needs.
MACHADO_2009 = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}
# CIE76 distance under which two colours are easily confused at a glance
CONFUSABLE = 20.0


def _linear(hex_colour: str) -> list[float]:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def _lab(linear: list[float]) -> tuple[float, float, float]:
    r, g, b = (min(1.0, max(0.0, c)) for c in linear)
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def _seen(hex_colour: str, deficiency: str | None) -> tuple[float, float, float]:
    linear = _linear(hex_colour)
    if deficiency:
        matrix = MACHADO_2009[deficiency]
        linear = [sum(m * c for m, c in zip(row, linear, strict=True)) for row in matrix]
    return _lab(linear)


def _distance(one: str, other: str, deficiency: str | None) -> float:
    return math.dist(_seen(one, deficiency), _seen(other, deficiency))


@pytest.mark.parametrize("deficiency", [None, *MACHADO_2009])
def test_failed_blocked_and_stale_stay_apart_for_colour_blind_readers(deficiency):
    kinds = ("failed", "blocked", "stale")
    for one, other in [(a, b) for a in kinds for b in kinds if a < b]:
        distance = _distance(PALETTE[one][0], PALETTE[other][0], deficiency)
        assert distance > CONFUSABLE, (one, other, deficiency, distance)


def test_the_measure_tells_the_old_orange_of_blocked_from_the_amber_of_stale_apart_badly():
    # the page's former colours, which a review found hard to tell apart
    assert _distance("#f76707", "#fab005", "deuteranopia") < CONFUSABLE


def test_red_means_one_thing_on_the_page():
    reds = {kind for kind, (background, _) in PALETTE.items() if background == "#D55E00"}
    assert reds == {"failed", "check_failed"}  # failed on its own account: build or check
