"""A landing source read from a hand-made manifest: its tables and its
contract, or a clear refusal naming what is wrong with it."""

from __future__ import annotations

import copy

import pytest

from data_factory.core.errors import EXIT_BUILD_FAILED, FactoryError
from data_factory.project.contracts import landing_source

CONTRACT = {
    "format": "csv",
    "fields": [
        {"name": "order_id", "type": "string", "required": True},
        {"name": "amount", "type": "number"},
        {"name": "state", "type": "string", "accepted_values": ["open", "paid"]},
        {"name": "placed_at", "type": "timestamp", "required": True},
    ],
    "dated_by": {"field": "placed_at", "rule": "same_day"},
    "primary_key": ["order_id"],
    "duplicates": "reject",
    "rejected_share_threshold": 0.1,
}


def manifest(contract: dict | None = CONTRACT) -> dict:
    def source(name: str, kind: str, meta: dict | None = None) -> dict:
        return {
            "resource_type": "source",
            "unique_id": f"source.p.shop.{name}",
            "source_name": "shop",
            "name": name,
            "schema": "landing",
            "relation_name": f'"warehouse"."landing"."{name}"',
            "meta": {"landing_folder": "orders", "landing_table": kind, **(meta or {})},
        }

    rows_meta = {"landing_contract": copy.deepcopy(contract)} if contract is not None else {}
    sources = [
        source("orders", "rows", rows_meta),
        source("orders_rejected", "rejected"),
        source("order_manifests", "manifests"),
    ]
    return {"nodes": {}, "sources": {s["unique_id"]: s for s in sources}}


def test_a_declared_source_has_its_tables_and_contract():
    source = landing_source(manifest(), "orders")
    assert source.folder == "orders"
    assert (source.rows_table, source.rejected_table, source.manifests_table) == (
        "landing.orders",
        "landing.orders_rejected",
        "landing.order_manifests",
    )
    assert source.main  # the only landing is the main one
    contract = source.contract
    assert contract.field_names == ("order_id", "amount", "state", "placed_at")
    assert contract.fields[2].accepted_values == ("open", "paid")
    assert (contract.dated_by, contract.primary_key, contract.duplicates) == (
        "placed_at",
        ("order_id",),
        "reject",
    )
    assert contract.header_lines == 1
    assert landing_source(manifest()) == source  # the main landing by default


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"format": "xml"}, "format must be one of ndjson, csv, got 'xml'"),
        ({"dated_by": {"field": "amount", "rule": "same_day"}}, "dated_by.field"),
        ({"dated_by": {"field": "placed_at", "rule": "any_day"}}, "dated_by.rule"),
        ({"primary_key": ["order_number"]}, "primary_key must list fields"),
        ({"duplicates": "merge"}, "duplicates must be one of keep, reject"),
        ({"rejected_share_threshold": 5}, "rejected_share_threshold must be a number"),
        ({"fields": [{"name": "source_line", "type": "integer"}]}, "cannot name a column"),
        ({"fields": [{"name": "x", "type": "money"}]}, "fields[0].type must be one of"),
        (
            {"fields": [{"name": "n", "type": "integer", "accepted_values": ["1"]}]},
            "accepted_values apply to string fields only",
        ),
    ],
)
def test_a_contract_that_does_not_hold_together_is_refused(change, problem):
    with pytest.raises(FactoryError) as refused:
        landing_source(manifest({**CONTRACT, **change}), "orders")
    assert refused.value.reason_code == "LANDING_CONTRACT_INVALID"
    assert refused.value.exit_code == EXIT_BUILD_FAILED
    assert problem in refused.value.message
    assert "source.p.shop.orders" in refused.value.message


def test_a_source_without_a_contract_or_an_unknown_folder_is_refused():
    with pytest.raises(FactoryError, match=r"meta\.landing_contract must be a mapping"):
        landing_source(manifest(None), "orders")
    with pytest.raises(FactoryError, match=r"no landing source 'returns'.*declared: orders"):
        landing_source(manifest(), "returns")
