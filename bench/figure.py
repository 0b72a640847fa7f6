"""What a figure records: its sides (the median of interleaved samples) and
its targets, and how the samples are taken."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.processes import say

UNIT_SUFFIX = {"x": "x", "s": " s", "MB": " MB"}


def median(samples: list[float]) -> float:
    return float(statistics.median(samples))


def interleave(
    reps: dict[str, int], sample: dict[str, Callable[[int], float]], label: str
) -> dict[str, list[float]]:
    """Samples per side, the order of the sides rotating with each repetition
    so that slow phases of a noisy machine do not always hit the same side."""
    names = list(sample)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(max(reps.values())):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            if rep >= reps[name]:
                continue
            value = sample[name](rep)
            samples[name].append(value)
            say(f"  [{label}] rep {rep + 1}/{reps[name]} {name}: {value:.3f}")
    return samples


def target_text(target: dict) -> str:
    return f"{target['name']} {target['op']} {target['threshold']:g}{UNIT_SUFFIX[target['unit']]}"


@dataclass
class Figure:
    number: int
    key: str
    title: str
    inputs: dict = field(default_factory=dict)
    sides: dict = field(default_factory=dict)
    targets: list = field(default_factory=list)
    breakdown: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    status: str = "measured"  # measured | failed (tables differ) | error
    error: str | None = None
    seconds: float = 0.0

    def side(self, name: str, samples: list[float], *, unit: str = "s", what: str = "") -> float:
        value = median(samples)
        self.sides[name] = {
            "what": what,
            "unit": unit,
            "samples": [round(s, 4) for s in samples],
            "median": round(value, 4),
        }
        return value

    def target(
        self,
        name: str,
        value: float | None,
        op: str | None,
        threshold: float | None,
        *,
        unit: str,
        definition: str,
    ) -> None:
        met = None
        if op is not None and value is not None:
            met = value >= threshold if op == ">=" else value <= threshold
        self.targets.append(
            {
                "name": name,
                "value": None if value is None else round(value, 4),
                "unit": unit,
                "op": op,
                "threshold": threshold,
                "met": met,
                "definition": definition,
            }
        )

    def to_dict(self) -> dict:
        ratios = [t for t in self.targets if t["unit"] == "x"]
        judged = [t["met"] for t in self.targets if t["met"] is not None]
        return {
            "number": self.number,
            "key": self.key,
            "title": self.title,
            "status": self.status,
            "error": self.error,
            "inputs": self.inputs,
            "sides": self.sides,
            "ratio": ratios[0]["value"] if ratios else None,
            "ratio_definition": ratios[0]["definition"] if ratios else None,
            "target": "; ".join(target_text(t) for t in self.targets if t["op"]),
            "targets": self.targets,
            "met": bool(judged) and all(judged) if self.status == "measured" else False,
            "breakdown": self.breakdown,
            "notes": self.notes,
            "seconds": round(self.seconds, 1),
        }
