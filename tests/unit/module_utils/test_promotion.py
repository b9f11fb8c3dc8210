"""Promotions: default targets, which targets already run the source's slug."""

import re

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._promotion import (
    PromotionError,
    PromotionState,
    Target,
    default_target_ids,
    diff_views,
    normalize_targets,
    plan_promotion,
    promotion_body,
)

COUPLINGS = [
    {"app": {"id": "dev"}, "stage": "development"},
    {"app": {"id": "stg"}, "stage": "staging"},
    {"app": {"id": "prd-us"}, "stage": "production"},
    {"app": {"id": "prd-eu"}, "stage": "production"},
    {"app": {"id": "rev"}, "stage": "review"},
]


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("staging", ["prd-us", "prd-eu"]),
        ("development", ["stg"]),
        ("review", ["dev"]),
        ("production", []),
    ],
)
def test_default_targets_are_the_next_stage_with_apps(stage, expected):
    assert default_target_ids(COUPLINGS, stage) == expected


def test_default_targets_skip_an_empty_stage():
    couplings = [c for c in COUPLINGS if c["stage"] != "staging"]
    assert default_target_ids(couplings, "development") == ["prd-us", "prd-eu"]


@pytest.mark.parametrize(
    ("targets", "field"),
    [
        ([], "targets"),
        (["a", " "], "targets[1]"),
        (["a", "a"], "targets[1]"),
        (["src"], "targets[0]"),
    ],
)
def test_bad_target_lists_name_the_field(targets, field):
    with pytest.raises(PromotionError, match="^" + re.escape(f"{field}: ")):
        normalize_targets(targets, "src")


def state(*target_slugs):
    targets = [
        Target(
            f"app-{n}",
            f"id-{n}",
            "production",
            {"version": 3, "slug": {"id": slug}} if slug else None,
        )
        for n, slug in enumerate(target_slugs)
    ]
    return PromotionState(
        pipeline={"id": "p1", "name": "shop"},
        source={"id": "stg", "name": "shop-staging"},
        source_stage="staging",
        source_release={"id": "r9", "version": 9, "slug": {"id": "new"}},
        targets=targets,
    )


def test_targets_running_the_source_slug_are_skipped():
    plan = plan_promotion(state("new", "old", None))
    assert plan.changed is True
    assert [t.app for t in plan.skip] == ["app-0"]
    assert [t.app for t in plan.promote] == ["app-1", "app-2"]
    assert promotion_body(state("new", "old", None), plan) == {
        "pipeline": {"id": "p1"},
        "source": {"app": {"id": "stg"}, "release": {"id": "r9"}},
        "targets": [{"app": {"id": "id-1"}}, {"app": {"id": "id-2"}}],
    }


def test_all_targets_current_is_no_change_unless_skipping_is_off():
    assert plan_promotion(state("new", "new")).changed is False
    assert len(plan_promotion(state("new", "new"), skip_if_current=False).promote) == 2


def test_diff_shows_the_slug_each_target_will_run():
    current = state("new", "old")
    before, after = diff_views(current, plan_promotion(current))
    assert before == {"slug_id": {"app-0": "new", "app-1": "old"}}
    assert after == {"slug_id": {"app-0": "new", "app-1": "new"}}
