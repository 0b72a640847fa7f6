"""The settings of one bench run, its work directories, and the tiny real
factory run that figures 4 and 5 scale up."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from bench.homes import fresh_dir, generate
from bench.processes import BenchError, factory_cmd, run, say
from bench.sizes import TEMPLATE_DAY, Sizes


@dataclass
class Bench:
    root: Path
    sizes: Sizes
    mode: str
    repetitions: int
    loop_repetitions: int
    chunk_days: int
    keep_work: bool
    install_parser: bool
    _template: dict | None = None

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def cheap_repetitions(self) -> int:
        """Figures whose samples take a second or less get more of them."""
        return self.repetitions + 2 if self.mode == "full" else 2

    @property
    def chunk_option(self) -> list[str]:
        """The option of `factory backfill` that builds the days of figures 2 and 3."""
        return ["--chunk-days", str(self.chunk_days)]

    def workdir(self, name: str) -> Path:
        return fresh_dir(self.work / name)

    def done_with(self, path: Path) -> None:
        if not self.keep_work:
            shutil.rmtree(path, ignore_errors=True)

    def template(self) -> dict:
        """A tiny real factory run: its evidence, run directory and parsed
        manifest are the templates figures 4 and 5 scale up."""
        if self._template is None:
            say("template: one real factory run")
            home = self.workdir("template")
            generate(home, TEMPLATE_DAY, 1, self.sizes.template_tickets)
            run(factory_cmd(home, "run", "--partition", TEMPLATE_DAY), label="factory run")
            runs = sorted(
                p
                for p in (home / "runs").iterdir()
                if (p / "run_results.json").exists() and (p / "manifest.json").exists()
            )
            evidence = sorted((home / "evidence").glob("*.json"))
            if not runs or not evidence:
                raise BenchError(f"the template run left no run directory or evidence in {home}")
            self._template = {
                "home": home,
                "run_dir": runs[-1],
                "evidence": evidence[-1],
                "parse_manifest": home / "runs" / "_parse" / "manifest.json",
            }
        return self._template
