"""A hand-made dbt project of four assets, as manifest.json and run_results.json
would describe it: a landing source, a seed, a staging view and a partitioned
fact with two checks (one error, one warn severity)."""

from __future__ import annotations

SOURCE = "source.shop.landing.orders"
SEED = "seed.shop.regions"
STAGING = "model.shop.stg_orders"
FACT = "model.shop.order_fact"
ERROR_CHECK = "test.shop.not_null_order_fact_order_id.1"
WARN_CHECK = "test.shop.accepted_values_order_fact_channel.2"


def manifest() -> dict:
    def node(uid, resource_type, depends=(), **extra):
        name = uid.split(".")[2] if resource_type != "source" else uid.split(".")[-1]
        return {
            "unique_id": uid,
            "name": name,
            "resource_type": resource_type,
            "depends_on": {"nodes": list(depends)},
            "checksum": {"checksum": f"sum-{name}"},
            "config": {"meta": extra.pop("meta", {}), **extra.pop("config", {})},
            **extra,
        }

    def check(uid, attached, severity):
        return {
            "unique_id": uid,
            "name": uid.split(".")[2],
            "resource_type": "test",
            "attached_node": attached,
            "depends_on": {"nodes": [attached]},
            "config": {"severity": severity},
        }

    return {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": {
            SEED: node(SEED, "seed"),
            STAGING: node(STAGING, "model", [SOURCE], config={"materialized": "view"}),
            FACT: node(FACT, "model", [STAGING, SEED], meta={"partition_column": "order_date"}),
            ERROR_CHECK: check(ERROR_CHECK, FACT, "error"),
            WARN_CHECK: check(WARN_CHECK, FACT, "warn"),
        },
        "sources": {
            SOURCE: node(SOURCE, "source", meta={"partition_column": "partition_date"}),
        },
        "exposures": {},
        "disabled": {},
    }


def run_results(**statuses: str) -> dict:
    """Every node of the manifest succeeded or passed, except those given
    (by the constants' names in lower case: fact="error", error_check="fail")."""
    defaults = {
        SEED: "success",
        STAGING: "success",
        FACT: "success",
        ERROR_CHECK: "pass",
        WARN_CHECK: "pass",
    }
    names = {
        "seed": SEED,
        "staging": STAGING,
        "fact": FACT,
        "error_check": ERROR_CHECK,
        "warn_check": WARN_CHECK,
    }
    for name, status in statuses.items():
        defaults[names[name]] = status
    return {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"},
        "results": [
            {
                "unique_id": uid,
                "status": status,
                "execution_time": 0.5,
                "message": None,
                "failures": 3 if status in ("fail", "warn") else 0,
            }
            for uid, status in defaults.items()
        ],
        "args": {"which": "build", "vars": {"partition": "2026-11-02"}},
    }
