"""What the generator draws from: the event vocabulary, time units, and the
reference data of the dbt seeds in the shape the vectorized code needs."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from data_factory.core import paths as _paths

EVENT_KEYS = (
    "event_id",
    "ticket_id",
    "event_type",
    "event_at",
    "customer_id",
    "agent_id",
    "channel",
    "priority",
    "category",
    "status",
)
EVENT_TYPES = (
    "created",
    "assigned",
    "first_response",
    "status_changed",
    "resolved",
    "reopened",
    "closed",
)
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
CHANNELS = ("email", "chat", "phone", "web")
PRIORITIES = ("low", "normal", "high", "urgent")
SLA_TIERS = ("enterprise", "business", "standard")

# seconds
DAY = 86_400
HOUR = 3_600
MINUTE = 60

_CATEGORY_WEIGHT = {
    "billing": 18,
    "login": 15,
    "bug": 20,
    "feature_request": 10,
    "shipping": 12,
    "account": 15,
    "other": 10,
}
_TIER_TICKET_WEIGHT = {"enterprise": 3.0, "business": 1.5, "standard": 1.0}
# medians as a share of the SLA target: most tickets meet it, a lognormal tail breaches it
_FIRST_RESPONSE_MEDIAN_SHARE = 0.45
_RESOLUTION_MEDIAN_SHARE = 0.40


def _seeds_dir() -> Path:
    return _paths.PROJECT_DIR / "seeds"


def _read_seed(name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    path = _seeds_dir() / name
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ValueError(f"seed file {path} has no rows")
    missing = [c for c in columns if c not in rows[0]]
    if missing:
        raise ValueError(f"seed file {path} lacks column(s): {', '.join(missing)}")
    return rows


def load_seed_ids() -> dict:
    """The reference data the generator draws from, read from ``seeds/*.csv``.

    Returns a dict with:
      ``agent_ids`` (tuple), ``agent_teams`` ({agent_id: team}),
      ``customer_ids`` (tuple), ``customer_tiers`` ({customer_id: sla_tier}),
      ``categories`` (tuple), ``billing_categories`` (tuple),
      ``sla_policies`` ({(sla_tier, priority): {"first_response_target_minutes": int,
      "resolution_target_hours": float}}).
    """
    agents = _read_seed("agents.csv", ("agent_id", "team"))
    customers = _read_seed("customers.csv", ("customer_id", "sla_tier"))
    categories = _read_seed("categories.csv", ("category", "is_billing"))
    policies = _read_seed(
        "sla_policies.csv",
        ("sla_tier", "priority", "first_response_target_minutes", "resolution_target_hours"),
    )
    sla = {
        (row["sla_tier"], row["priority"]): {
            "first_response_target_minutes": int(row["first_response_target_minutes"]),
            "resolution_target_hours": float(row["resolution_target_hours"]),
        }
        for row in policies
    }
    missing = [f"{t}/{p}" for t in SLA_TIERS for p in PRIORITIES if (t, p) not in sla]
    if missing:
        raise ValueError(f"sla_policies.csv has no row for: {', '.join(missing)}")
    unknown_tiers = sorted({row["sla_tier"] for row in customers} - set(SLA_TIERS))
    if unknown_tiers:
        raise ValueError(f"customers.csv uses unknown sla_tier(s): {', '.join(unknown_tiers)}")
    return {
        "agent_ids": tuple(row["agent_id"] for row in agents),
        "agent_teams": {row["agent_id"]: row["team"] for row in agents},
        "customer_ids": tuple(row["customer_id"] for row in customers),
        "customer_tiers": {row["customer_id"]: row["sla_tier"] for row in customers},
        "categories": tuple(row["category"] for row in categories),
        "billing_categories": tuple(
            row["category"]
            for row in categories
            if row["is_billing"].strip().lower() in ("true", "1", "yes")
        ),
        "sla_policies": sla,
    }


@dataclass(frozen=True)
class Reference:
    """The seeds in the shape the vectorized code needs."""

    customer_tokens: pa.Array  # JSON text of each id, e.g. '"cus_00001"'
    customer_tier: np.ndarray  # index into SLA_TIERS
    customer_p: np.ndarray  # chance a ticket comes from each customer
    agent_tokens: pa.Array
    team_agents: dict[str, np.ndarray]  # team -> agent indices
    category_tokens: pa.Array
    category_p: np.ndarray
    category_route: np.ndarray  # 0 billing team, 1 second line (bugs), 2 first line
    first_response_median_s: np.ndarray  # [tier, priority]
    resolution_median_s: np.ndarray  # [tier, priority]

    @classmethod
    def build(cls, seeds: dict) -> Reference:
        def tokens(values) -> pa.Array:
            return pa.array([json.dumps(v) for v in values], pa.string())

        tiers = np.array(
            [SLA_TIERS.index(seeds["customer_tiers"][c]) for c in seeds["customer_ids"]]
        )
        weight = np.array([_TIER_TICKET_WEIGHT[SLA_TIERS[t]] for t in tiers])
        teams: dict[str, list[int]] = {}
        for index, agent in enumerate(seeds["agent_ids"]):
            teams.setdefault(seeds["agent_teams"][agent], []).append(index)
        categories = seeds["categories"]
        cat_weight = np.array([_CATEGORY_WEIGHT.get(c, 5) for c in categories], float)
        route = np.array(
            [0 if c in seeds["billing_categories"] else 1 if c == "bug" else 2 for c in categories]
        )
        first_response = np.zeros((3, 4))
        resolution = np.zeros((3, 4))
        for (tier, priority), policy in seeds["sla_policies"].items():
            if tier in SLA_TIERS and priority in PRIORITIES:
                at = SLA_TIERS.index(tier), PRIORITIES.index(priority)
                first_response[at] = (
                    policy["first_response_target_minutes"] * MINUTE * _FIRST_RESPONSE_MEDIAN_SHARE
                )
                resolution[at] = policy["resolution_target_hours"] * HOUR * _RESOLUTION_MEDIAN_SHARE
        return cls(
            customer_tokens=tokens(seeds["customer_ids"]),
            customer_tier=tiers,
            customer_p=weight / weight.sum(),
            agent_tokens=tokens(seeds["agent_ids"]),
            team_agents={team: np.array(ids) for team, ids in teams.items()},
            category_tokens=tokens(categories),
            category_p=cat_weight / cat_weight.sum(),
            category_route=route,
            first_response_median_s=first_response,
            resolution_median_s=resolution,
        )

    def pick_agents(
        self, route: np.ndarray, draw_team: np.ndarray, draw_agent: np.ndarray
    ) -> np.ndarray:
        """Billing tickets go to the billing team, bugs mostly to tier2, the rest
        mostly to tier1; a team missing from the seeds falls back to everyone."""
        every = np.arange(len(self.agent_tokens))
        billing = self.team_agents.get("billing", every)
        tier1 = self.team_agents.get("tier1", every)
        tier2 = self.team_agents.get("tier2", every)
        use_tier2 = np.where(route == 1, draw_team < 0.7, draw_team < 0.15)
        chosen = np.empty(len(route), dtype=np.int64)
        for mask, pool in (
            (route == 0, billing),
            ((route != 0) & use_tier2, tier2),
            ((route != 0) & ~use_tier2, tier1),
        ):
            chosen[mask] = pool[(draw_agent[mask] * len(pool)).astype(np.int64)]
        return chosen
