"""Faults that apply a write and then lose its answer: what a client sees after a network cut."""

import time

import pytest
import requests

from tests.support.emulator import API_KEY, HEADERS


def releases(heroku, app="demo-app"):
    return heroku.get(f"/apps/{app}/releases").json()


def patch_config(heroku, body, timeout=5):
    return requests.patch(
        heroku.url + "/apps/demo-app/config-vars",
        json=body,
        headers=HEADERS,
        auth=("", API_KEY),
        timeout=timeout,
    )


def test_apply_then_fail_answers_an_error_after_applying(heroku, app):
    before = len(releases(heroku))
    heroku.inject_fault(method="PATCH", path="/config-vars$", status=503, mode="apply_then_fail")
    answer = patch_config(heroku, {"LOG_LEVEL": "DEBUG"})
    assert answer.status_code == 503
    assert answer.json()["id"] == "service_unavailable"
    assert answer.headers.get("Request-Id")
    assert heroku.get("/apps/demo-app/config-vars").json()["LOG_LEVEL"] == "DEBUG"
    assert len(releases(heroku)) == before + 1
    entry = heroku.requests_log()[-3]
    assert entry == {
        "method": "PATCH",
        "path": "/apps/demo-app/config-vars",
        "status": 200,
        "fault": "apply_then_fail",
    }


def test_apply_then_drop_closes_the_connection_without_an_answer(heroku, app):
    before = len(releases(heroku))
    heroku.inject_fault(method="PATCH", path="/config-vars$", mode="apply_then_drop")
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        patch_config(heroku, {"LOG_LEVEL": "WARN"}, timeout=5)
    assert time.monotonic() - started < 2  # closed, not left hanging until the timeout
    assert heroku.get("/apps/demo-app/config-vars").json()["LOG_LEVEL"] == "WARN"
    assert len(releases(heroku)) == before + 1
    assert any(entry.get("fault") == "apply_then_drop" for entry in heroku.requests_log())


def test_a_dropped_create_still_creates(heroku):
    heroku.inject_fault(method="POST", path="^/apps$", mode="apply_then_drop")
    with pytest.raises(requests.ConnectionError):
        requests.post(
            heroku.url + "/apps",
            json={"name": "made-anyway"},
            headers=HEADERS,
            auth=("", API_KEY),
            timeout=5,
        )
    assert heroku.get("/apps/made-anyway").status_code == 200


def test_times_and_every_are_honoured(heroku, app):
    heroku.inject_fault(
        method="PATCH", path="/config-vars$", mode="apply_then_fail", times=2, every=2
    )
    statuses = [patch_config(heroku, {"N": str(n)}).status_code for n in range(6)]
    assert statuses == [200, 503, 200, 503, 200, 200]
    assert heroku.get("/apps/demo-app/config-vars").json()["N"] == "5"


def test_an_error_of_the_request_itself_does_not_use_the_fault(heroku, app):
    heroku.inject_fault(method="PATCH", path="/config-vars$", mode="apply_then_fail")
    refused = patch_config(heroku, {"BAD-NAME": "x"})
    assert refused.status_code == 422
    answer = patch_config(heroku, {"GOOD": "x"})
    assert answer.status_code == 503  # the fault was still waiting


def test_refuse_mode_applies_nothing(heroku, app):
    before = len(releases(heroku))
    heroku.inject_fault(method="PATCH", path="/config-vars$", mode="refuse")
    assert patch_config(heroku, {"LOG_LEVEL": "DEBUG"}).status_code == 503
    assert "LOG_LEVEL" not in heroku.get("/apps/demo-app/config-vars").json()
    assert len(releases(heroku)) == before


def test_unknown_mode_is_refused_by_the_control_api(heroku):
    answer = requests.post(heroku.url + "/__emulator/faults", json={"mode": "sometimes"}, timeout=5)
    assert answer.status_code == 422
    assert "mode" in answer.json()["message"]
