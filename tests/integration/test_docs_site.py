"""The docs site is the project's front page: `factory docs` on a fresh home
tells its steps and prints the path, the site opens on the project's
overview, and its lineage graph draws every source, seed, model and both
consumers, each table drawn alone saying why."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser_support import headless, require_chromium, screenshot
from click.testing import CliRunner

from data_factory.cli.main import main

STEPS = (
    "loading dbt",
    "parsing the project",
    "compiling every model and check",
    "reading the warehouse catalog",
    "site written",
)

# Appended to a copy of the site: writes what the lineage graph draws (dbt
# docs' own `graph` service, which feeds cytoscape; the nodes are painted on
# a canvas, so their labels are not in the DOM) into a <pre> the DOM dump shows.
GRAPH_PROBE = """
<script>
setInterval(function () {
  var root = document.querySelector("[ng-app]") || document.documentElement;
  var injector = angular.element(root).injector();
  if (!injector) return;
  var elements = injector.get("graph").graph.elements;
  var out = document.getElementById("drawn-graph");
  if (!out) {
    out = document.body.appendChild(document.createElement("pre"));
    out.id = "drawn-graph";
  }
  out.textContent = JSON.stringify(elements.map(function (e) { return e.data; }));
}, 250);
</script>
"""


class _VisibleText(HTMLParser):
    """The text a reader sees: everything but scripts and styles (the site
    embeds its manifest, and dbt's default page, in scripts)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(dom: str) -> str:
    parser = _VisibleText()
    parser.feed(dom)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`factory docs` on a home where nothing was ever built."""
    home = tmp_path_factory.mktemp("docs-site-home")
    result = CliRunner().invoke(
        main, ["docs"], env={"FACTORY_HOME": str(home)}, catch_exceptions=False
    )
    return home, result


def test_docs_tells_its_steps_on_stderr_and_prints_only_the_path(site):
    home, result = site
    assert result.exit_code == 0, result.stderr[-3000:]
    assert result.stdout == f"{home / 'docs' / 'static_index.html'}\n"
    told = re.findall(r"^ {2}docs +(\d+\.\d) s {2}(.+)$", result.stderr, flags=re.M)
    assert [step for _, step in told] == list(STEPS), result.stderr
    seconds = [float(elapsed) for elapsed, _ in told]
    assert seconds == sorted(seconds) and seconds[-1] > 0


def test_the_site_opens_on_the_projects_overview(site, tmp_path):
    require_chromium()
    home, _ = site
    page = home / "docs" / "static_index.html"
    result = headless(
        "--virtual-time-budget=10000", "--dump-dom", page.as_uri(), profile=tmp_path / "p1"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    text = visible_text(result.stdout)
    assert "Welcome to the auto-generated documentation" not in text
    for heading in (
        "Ticket data factory",
        "The asset graph",
        "Four tables stand alone in the graph, on purpose.",
        "Where the evidence lives",
        "Runbooks",
        "KPI definitions",
    ):
        assert heading in text
    # the runbook links open the repository's files from data/docs/ (the default home)
    links = re.findall(r'href="\.\./\.\./(runbooks/[\w-]+\.md)"', result.stdout)
    repository = Path(__file__).resolve().parents[2]
    assert len(links) >= 8 and all((repository / link).is_file() for link in links)

    screenshot(
        page.as_uri(),
        tmp_path / "docs-overview.png",
        size="1500,1000",
        budget_ms=10000,
        profile=tmp_path / "p2",
    )


def test_the_lineage_graph_draws_every_asset_and_both_consumers(site, tmp_path):
    require_chromium()
    home, _ = site
    page = home / "docs" / "static_index.html"
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8") + GRAPH_PROBE, encoding="utf-8")
    result = headless(
        "--virtual-time-budget=10000",
        "--dump-dom",
        probed.as_uri() + "#!/overview?g_v=1",
        profile=tmp_path / "p1",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (drawn_json,) = re.findall(r'<pre id="drawn-graph">(.*?)</pre>', result.stdout, flags=re.S)
    elements = json.loads(html.unescape(drawn_json))
    nodes = {e["id"]: e for e in elements if "source" not in e and e.get("display") != "none"}
    edges = [e for e in elements if "source" in e and e.get("display") != "none"]

    manifest = json.loads((home / "docs" / "manifest.json").read_text())
    expected = {
        *manifest["sources"],
        *manifest["exposures"],
        *(
            uid
            for uid, node in manifest["nodes"].items()
            if node["resource_type"] in ("model", "seed")
        ),
    }
    assert expected <= set(nodes)
    assert len(manifest["sources"]) == 3 and len(manifest["exposures"]) == 2
    assert {nodes[uid]["label"] for uid in manifest["exposures"]} == {
        "Ticket chunking job",
        "Retrieval index",
    }

    # every table the graph draws alone says why, on its own page
    linked = {e["source"] for e in edges} | {e["target"] for e in edges}
    alone = sorted(uid for uid in expected if uid not in linked)
    assert [uid.split(".")[-1] for uid in alone] == [
        "agents",
        "categories",
        "landing_manifests",
        "ticket_events_rejected",
    ]
    described = {**manifest["nodes"], **manifest["sources"]}
    for uid in alone:
        assert "stands alone in the lineage graph" in described[uid]["description"], uid

    screenshot(
        page.as_uri() + "#!/overview?g_v=1",
        tmp_path / "docs-lineage.png",
        size="1500,1000",
        budget_ms=10000,
        profile=tmp_path / "p2",
    )
