"""The metric catalogue: every DOMAIN.md metric defined once with its SQL; query/metrics.toml names only
metrics the catalogue defines."""

from __future__ import annotations

import pytest

from query.catalog import MAP_RATES, MAP_RAW, SPEC, SQL, by_id, metrics, view


def test_metrics_toml_names_only_metrics_the_catalogue_defines():
    ids = set(by_id())
    for page, sections in SPEC["views"].items():
        for section in sections:
            assert set(view(page)[section]) <= ids, (page, section)
    assert set(MAP_RATES) <= ids and {m for m in MAP_RAW.values() if m} <= ids
    assert MAP_RAW["key_group_share"] is None and MAP_RAW["complaints_per_100m_premium"] == "complaints_total"
    for rate, raw in MAP_RAW.items():  # the raw figure is the rate's own numerator: it appears in its SQL
        if raw:
            assert raw in by_id()[rate].sql, (rate, raw)
    with pytest.raises(KeyError, match="views.nowhere"):
        view("nowhere")


def test_every_domain_metric_is_defined_once_with_its_sql():
    domain = ["complaints_total", "complaints_per_100m_premium", "complaints_per_10k_policies",
              "complaints_per_10k_insured", "complaint_index", "regulator_referred_share", "on_time_resolution_rate",
              "proxy_surrender_share", "mediation_participation_rate", "mediation_success_rate",
              "mediation_fulfilment_rate", "outreach_reach", "reach_per_10k_residents", "key_group_share",
              "county_coverage_rate", "age_friendly_outlet_share"]
    ids = [m.id for m in metrics()]
    assert len(ids) == len(set(ids))
    for metric in domain:
        assert (SQL / "metrics" / f"{metric}.sql").exists()
        assert "nullif" in (SQL / "metrics" / f"{metric}.sql").read_text() or by_id()[metric].kind == "count"
    assert "结案" in by_id()["mediation_success_rate"].definition_zh
