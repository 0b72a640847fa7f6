"""Roles come from the manifest's meta and DAG, never from names in Python."""

from __future__ import annotations

from artifacts_fixture import FACT, RECONCILE_CHECK, SEED, SOURCE, STAGING, manifest

from data_factory.project.roles import roles_of


def test_the_landing_and_its_reconciliation_are_read_from_meta():
    roles = roles_of(manifest())
    assert roles.landing_rows_asset == "orders"
    assert roles.landing_assets == {"orders"}
    (check,) = roles.reconciliations
    assert (check.check, check.model) == (RECONCILE_CHECK, FACT)
    assert (check.landed_relation, check.landed_column) == ('"raw"."orders"', "order_id")
    assert (check.model_relation, check.partition_column) == ('"marts"."order_fact"', "order_date")
    assert roles.fact_assets == {"order_fact"}
    assert roles.reconciliation_check_names == {"reconciles_order_fact"}


def test_order_and_readers_follow_the_dag():
    roles = roles_of(manifest())
    assert roles.order("orders") == roles.order("regions") == 0
    assert roles.order("stg_orders") == 1
    assert roles.order("order_fact") == 2
    assert roles.order("not_in_the_project") > roles.order("order_fact")
    assert roles.downstream(SOURCE) == {STAGING, FACT}
    assert roles.downstream(SEED) == {FACT}


def test_windows_and_switches_are_declared_per_model():
    document = manifest()
    document["nodes"][FACT]["config"]["meta"].update(
        {"reads_window_var": "order_lookback_days", "enabled_by_var": "enable_order_fact"}
    )
    roles = roles_of(document)
    assert roles.window_vars == {FACT: "order_lookback_days"}
    assert roles.switch_vars == {"order_fact": "enable_order_fact"}
