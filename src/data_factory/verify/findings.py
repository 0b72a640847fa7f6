"""A broken link of a cell's chain, as facts: the link, its reason code,
what was expected, what was found and the file that says so."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Broken:
    link: str  # the name of the link (verify.links.LINKS)
    code: str  # a reason code of core.reasons
    expected: str
    found: str
    file: str | None  # the file whose content the link compared

    def to_dict(self) -> dict:
        return asdict(self)
