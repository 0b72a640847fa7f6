"""The factory's own OpenLineage run facet: what a catalog cannot learn
from the standard facets (the partitions, the landing manifests, the content
fingerprint of each cell), described by schemas/factory_run_facet.schema.json."""

from __future__ import annotations

import attr
from openlineage.client.facet_v2 import RunFacet

from data_factory.core.paths import FACTORY_ROOT

# The facet's key in run.facets; a custom facet carries a prefix of its own so
# that it never collides with a standard one.
FACET_NAME = "factory_run"
FACET_SCHEMA_PATH = FACTORY_ROOT / "schemas" / "factory_run_facet.schema.json"
# the $id of that schema, which every emitted facet names as its _schemaURL
FACET_SCHEMA_URL = "https://ticket-factory.example/schemas/openlineage/factory_run_facet/1.0.json"


@attr.define
class FactoryRunFacet(RunFacet):
    """One factory run as its evidence records it. `runId` is the factory's
    run id (run.runId is a UUID derived from it); `landing` has one entry per
    landing manifest the run read; `cells` one per asset x partition it
    touched, with the content fingerprint of what the warehouse held after."""

    runId: str  # the spec writes field names in camelCase
    command: str
    status: str
    partitions: list[str]
    evidence: dict
    landing: list[dict] = attr.field(factory=list)
    cells: list[dict] = attr.field(factory=list)
    warehouseId: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return FACET_SCHEMA_URL
