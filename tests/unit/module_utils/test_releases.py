"""Releases: version spellings, which release a rollback goes to, waiting, output streams."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._output import (
    WaitTimeout,
    read_output,
    wait_until,
)
from ansible_collections.herokuops.platform.plugins.module_utils._releases import (
    PREVIOUS,
    ReleaseError,
    current_of,
    parse_version,
    plan_rollback,
    predicted_rollback,
)


def release(version, slug="slug-a", status="succeeded", current=False, description=None):
    return {
        "id": f"id-{version}",
        "version": version,
        "status": status,
        "current": current,
        "slug": {"id": slug} if slug else None,
        "description": description or f"Deploy {slug}",
        "eligible_for_rollback": status == "succeeded",
    }


# v1 no slug; v2 slug a; v3 slug b (current). Newest first, as read.
HISTORY = [release(3, "slug-b", current=True), release(2, "slug-a"), release(1, None)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("v41", 41), ("V41", 41), ("41", 41), (" 7 ", 7), (12, 12), ("previous", PREVIOUS)],
)
def test_version_spellings(value, expected):
    assert parse_version(value) == expected


@pytest.mark.parametrize("value", ["latest", "v", "v-1", "v0", "0", "4.1", "", True, "vv3"])
def test_bad_versions_name_the_field(value):
    with pytest.raises(ReleaseError, match=r"^rollback_to: "):
        parse_version(value)


def test_previous_is_the_release_before_the_current_one():
    plan = plan_rollback(HISTORY, PREVIOUS, "demo")
    assert plan.changed is True
    assert plan.target["version"] == 2


def test_previous_after_a_rollback_is_a_no_op():
    history = [release(4, "slug-a", current=True, description="Rollback to v2"), *HISTORY]
    history[1] = dict(history[1], current=False)
    plan = plan_rollback(history, PREVIOUS, "demo")
    assert plan.changed is False
    assert plan.target["version"] == 2


def test_rollback_to_the_version_the_current_release_restored_is_a_no_op():
    history = [release(4, "slug-a", current=True, description="Rollback to v2"), *HISTORY]
    assert plan_rollback(history, 2, "demo").changed is False
    assert plan_rollback(history, 3, "demo").changed is True


def test_rollback_to_the_current_release_is_a_no_op():
    assert plan_rollback(HISTORY, 3, "demo").changed is False


def test_same_slug_with_other_config_is_still_rolled_back():
    # v4 changed config vars only: rolling back to v3 restores them, so it is a change.
    history = [release(4, "slug-b", current=True, description="Set FOO config vars")]
    history += [dict(HISTORY[0], current=False), *HISTORY[1:]]
    assert plan_rollback(history, 3, "demo").changed is True


def test_a_pending_latest_release_is_not_the_current_one():
    history = [release(4, "slug-c", status="pending"), *HISTORY]
    assert current_of(history)["version"] == 3
    assert plan_rollback(history, PREVIOUS, "demo").target["version"] == 2


@pytest.mark.parametrize(
    ("history", "wanted", "words"),
    [
        (HISTORY, 9, "no release v9"),
        ([release(1, None, current=True)], PREVIOUS, "no release before v1"),
        ([release(2, "b", current=True), release(1, "a", status="failed")], 1, "status failed"),
        ([], PREVIOUS, "no succeeded release"),
    ],
)
def test_impossible_rollbacks_name_the_field(history, wanted, words):
    with pytest.raises(ReleaseError, match=rf"^rollback_to: .*{words}"):
        plan_rollback(history, wanted, "demo")


def test_check_mode_predicts_the_rollback_release():
    plan = plan_rollback(HISTORY, PREVIOUS, "demo")
    predicted = predicted_rollback(plan, HISTORY)
    assert predicted["version"] == 4
    assert predicted["description"] == "Rollback to v2"
    assert predicted["slug_id"] == "slug-a"


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_polls_with_growing_intervals_until_finished():
    clock = FakeClock()
    values = iter(["pending", "pending", "pending", "succeeded"])
    last = wait_until(
        lambda: next(values),
        lambda value: value != "pending",
        timeout=60,
        what="x",
        sleep=clock.sleep,
        clock=clock,
    )
    assert last == "succeeded"
    assert clock.sleeps == sorted(clock.sleeps)
    assert clock.sleeps[0] < 1
    assert len(clock.sleeps) == 3


def test_wait_gives_up_at_the_timeout_naming_it():
    clock = FakeClock()
    with pytest.raises(WaitTimeout, match=r"^wait_timeout: release v3 .* 10 seconds"):
        wait_until(
            lambda: "pending",
            lambda value: value != "pending",
            timeout=10,
            what="release v3",
            sleep=clock.sleep,
            clock=clock,
        )
    assert clock.now == pytest.approx(10)


def test_nothing_to_wait_for_costs_one_read_and_no_sleep():
    clock = FakeClock()
    calls = []
    wait_until(lambda: calls.append(1) or "done", bool, timeout=0, what="x", sleep=clock.sleep)
    assert calls == [1] and clock.sleeps == []


class Stream:
    def __init__(self, status, chunks=(), error=None):
        self.status_code = status
        self.chunks = chunks
        self.error = error

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def iter_content(self, chunk_size):
        yield from self.chunks
        if self.error:
            raise self.error


def test_output_is_read_without_credentials():
    seen = {}

    def get(url, **options):
        seen.update(options, url=url)
        return Stream(200, [b"Running release command...\n", b"done\n"])

    text, warning = read_output("https://out.example/streams/1", timeout=5, get=get)
    assert text == "Running release command...\ndone\n"
    assert warning is None
    assert "headers" not in seen and "auth" not in seen


def test_unreachable_output_is_a_warning_with_what_arrived():
    def refused(url, **options):
        raise ConnectionError("refused")

    text, warning = read_output("https://out.example/1", timeout=5, get=refused)
    assert text == ""
    assert "ConnectionError" in warning

    def cut(url, **options):
        return Stream(200, [b"half"], error=TimeoutError("read timed out"))

    text, warning = read_output("https://out.example/1", timeout=5, get=cut)
    assert text == "half"
    assert "not read completely" in warning


def test_output_error_answer_and_size_cap():
    text, warning = read_output("u", timeout=5, get=lambda url, **o: Stream(404))
    assert text == "" and "404" in warning
    big = [b"x" * 600, b"y" * 600]
    text, warning = read_output(
        "u", timeout=5, max_bytes=1000, get=lambda url, **o: Stream(200, big)
    )
    assert len(text) == 1000 and "cut at 1000 bytes" in warning


def test_no_stream_url_reads_nothing():
    assert read_output(None, timeout=5) == ("", None)
