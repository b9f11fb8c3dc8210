"""Dyno actions: targets, links, one-off env checks."""

import re

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._dynos import (
    DynoError,
    action_request,
    create_body,
    normalize_action,
    normalize_one_off,
)


@pytest.mark.parametrize(
    ("action", "target", "method", "path"),
    [
        ("restart", "all", "DELETE", "/apps/demo/dynos"),
        ("restart", "web", "DELETE", "/apps/demo/formations/web"),
        ("restart", "web.2", "DELETE", "/apps/demo/dynos/web.2"),
        ("stop", "worker", "POST", "/apps/demo/formations/worker/actions/stop"),
        ("stop", "run.4821", "POST", "/apps/demo/dynos/run.4821/actions/stop"),
    ],
)
def test_each_target_uses_its_schema_link(action, target, method, path):
    assert action_request("demo", normalize_action(action, target)) == (method, path)


@pytest.mark.parametrize(
    ("action", "target"), [("stop", "all"), ("restart", "web 1"), ("restart", ""), ("stop", "a/b")]
)
def test_bad_targets_name_the_field(action, target):
    with pytest.raises(DynoError, match=rf"^{action}: "):
        normalize_action(action, target)


def test_one_off_env_merges_plain_and_sensitive_as_strings():
    one_off = normalize_one_off(
        {
            "command": " rails db:migrate ",
            "env": {"VERBOSE": 1, "DRY_RUN": True},
            "sensitive_env": {"TOKEN": "s3cret"},
            "size": "standard-2x",
            "time_to_live": 600,
        }
    )
    assert create_body(one_off) == {
        "command": "rails db:migrate",
        "attach": False,
        "env": {"VERBOSE": "1", "DRY_RUN": "true", "TOKEN": "s3cret"},
        "size": "standard-2x",
        "time_to_live": 600,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"command": ""}, "command"),
        ({"command": None}, "command"),
        ({"command": "x", "env": {"A-B": "1"}}, "env.A-B"),
        ({"command": "x", "env": {"A": None}}, "env.A"),
        ({"command": "x", "sensitive_env": {"A": ["x"]}}, "sensitive_env.A"),
        ({"command": "x", "env": {"A": "1"}, "sensitive_env": {"A": "1"}}, "sensitive_env.A"),
        ({"command": "x", "time_to_live": 86401}, "time_to_live"),
        ({"command": "x", "size": "big dyno"}, "size"),
    ],
)
def test_bad_one_offs_name_the_field(params, field):
    with pytest.raises(DynoError, match="^" + re.escape(f"{field}: ")):
        normalize_one_off(params)


def test_a_refused_value_is_never_in_the_message():
    with pytest.raises(DynoError) as raised:
        normalize_one_off({"command": "x", "sensitive_env": {"bad name": "s3cret"}})
    assert "s3cret" not in str(raised.value)
