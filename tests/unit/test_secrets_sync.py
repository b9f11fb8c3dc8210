"""secrets_sync's pure parts: settings, JSON keys, names from SSM paths, the report, the plan per
app, and the step loop over a stand-in Heroku (no AWS, no emulator)."""

import datetime

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    HerokuWriteUncertain,
)
from ansible_collections.herokuops.platform.plugins.module_utils._delivery import (
    InputError,
    run_steps,
)
from ansible_collections.herokuops.platform.plugins.module_utils._secrets_sync import (
    CHANGED_MASK,
    MASK,
    AppSync,
    Document,
    Found,
    SyncInputError,
    age_report,
    diff_view,
    parse_json_key,
    plan_app,
    read_sources,
    resolve_json_key,
    settings_from,
    var_name_for,
)

NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)
PLAID = '{"plaid": {"client_id": "cid-1", "secret": "s3cr3t-value", "rate": 1.10, "n": 7,'
PLAID += ' "live": false, "none": null, "keys": ["k0", "k1"], "nested": {"a": 1}}, "env": "x"}'


# -- json_key -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("plaid.secret", "s3cr3t-value"),
        ("plaid.client_id", "cid-1"),
        ("plaid.rate", "1.10"),  # a number as written, not as Python prints it
        ("plaid.n", "7"),
        ("plaid.live", "false"),
        ("plaid.keys.1", "k1"),
        ("env", "x"),
    ],
)
def test_json_key_resolves_dotted_paths(path, expected):
    assert resolve_json_key(PLAID, parse_json_key(path)) == expected


@pytest.mark.parametrize("path", ["", "  ", ".plaid", "plaid.", "plaid..secret", "."])
def test_malformed_json_key_names_the_field(path):
    with pytest.raises(SyncInputError, match=r"^secrets\[3\]\.json_key: "):
        parse_json_key(path, "secrets[3].json_key")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("plaid.nope", "has no key 'nope' at plaid"),
        ("nope.secret", "has no key 'nope' at the top level"),
        ("plaid.keys.5", "has no item 5 at plaid.keys (it has 2)"),
        ("plaid.keys.first", "holds an array at plaid.keys, where key 'first' was expected"),
        ("env.deeper", "holds a string at env"),
        ("plaid.secret.deeper", "holds a string at plaid.secret"),
        ("plaid", "holds an object at 'plaid'"),
        ("plaid.keys", "holds an array at 'plaid.keys'"),
        ("plaid.none", "holds null at 'plaid.none'"),
    ],
)
def test_json_key_errors_name_the_field_and_never_a_value(path, message):
    with pytest.raises(SyncInputError) as raised:
        resolve_json_key(PLAID, parse_json_key(path), "secrets[0].json_key", "secret 'p'")
    text = str(raised.value)
    assert text.startswith("secrets[0].json_key: secret 'p' ")
    assert message in text
    for value in ("s3cr3t-value", "cid-1", "k0", "k1"):
        assert value not in text


@pytest.mark.parametrize("text", ["sk-plain-value", "", "{not json", "{'single': 'quotes'}"])
def test_a_secret_that_is_not_json_is_an_error_without_its_value(text):
    with pytest.raises(SyncInputError, match="is not JSON") as raised:
        resolve_json_key(text, ["key"], "secrets[0].json_key")
    assert str(raised.value).startswith("secrets[0].json_key: ")
    if text:
        assert text not in str(raised.value)


def test_a_json_scalar_at_the_top_has_no_keys():
    with pytest.raises(SyncInputError, match="holds a number at the top level"):
        resolve_json_key("12345", ["key"])


# -- names from SSM paths -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "prefix", "expected"),
    [
        ("/thirdparty/taxcloud/api-key", "", "API_KEY"),
        ("/thirdparty/taxcloud/api.login", "TAXCLOUD_", "TAXCLOUD_API_LOGIN"),
        ("/a/b/c/openAI_key", "", "OPENAI_KEY"),
        ("/a/b/", "", "B"),
        ("/plaid/1st-key", "", "1ST_KEY"),  # not a var name: read_sources refuses it
    ],
)
def test_var_names_from_ssm_parameter_names(name, prefix, expected):
    assert var_name_for(name, prefix) == expected


# -- settings -------------------------------------------------------------------------------------
def params(secrets, apps=("app-1",)):
    full = []
    for entry in secrets:
        full.append(
            {
                "source": "secretsmanager",
                "version_stage": "AWSCURRENT",
                "recursive": False,
                "max_age_days": 90,
                **entry,
            }
        )
    return {"apps": list(apps), "secrets": full}


@pytest.mark.parametrize(
    ("secrets", "apps", "message"),
    [
        ([{"config_var": "A", "secret_id": "s"}], [], "apps: give at least one app"),
        ([{"config_var": "A", "secret_id": "s"}], ["x", ""], "apps[1]: an app name cannot"),
        ([{"config_var": "A", "secret_id": "s"}], ["x", "x"], "apps[1]: 'x' is listed twice"),
        ([], ["x"], "secrets: give at least one"),
        ([{"config_var": "A"}], ["x"], "secrets[0].secret_id: required"),
        ([{"secret_id": "s"}], ["x"], "secrets[0].config_var: required"),
        ([{"config_var": "A-B", "secret_id": "s"}], ["x"], "secrets[0].config_var: 'A-B'"),
        ([{"config_var": "1A", "secret_id": "s"}], ["x"], "secrets[0].config_var: '1A'"),
        (
            [{"config_var": "A", "secret_id": "s", "parameter": "/p"}],
            ["x"],
            "secrets[0].parameter: cannot be combined with secret_id",
        ),
        (
            [{"source": "ssm", "config_var": "A", "secret_id": "s", "parameter": "/p"}],
            ["x"],
            "secrets[0].parameter: cannot be combined with secret_id",
        ),
        (
            [{"source": "ssm", "secret_id": "s", "path": "/p"}],
            ["x"],
            "secrets[0].path: cannot be combined with secret_id",
        ),
        (
            [{"source": "ssm", "parameter": "/p", "path": "/p"}],
            ["x"],
            "secrets[0].path: cannot be combined with parameter",
        ),
        (
            [{"config_var": "A", "parameter": "/p"}],
            ["x"],
            "secrets[0].parameter: only with source: ssm",
        ),
        (
            [{"source": "ssm", "config_var": "A", "secret_id": "s"}],
            ["x"],
            "secrets[0].secret_id: only with source: secretsmanager",
        ),
        ([{"source": "ssm", "config_var": "A"}], ["x"], "secrets[0].parameter: give parameter"),
        (
            [{"source": "ssm", "config_var": "A", "parameter": "/p", "version_stage": "X"}],
            ["x"],
            "secrets[0].version_stage: only with source: secretsmanager",
        ),
        (
            [{"source": "ssm", "config_var": "A", "path": "/p"}],
            ["x"],
            "secrets[0].config_var: not with path",
        ),
        (
            [{"source": "ssm", "path": "/p", "json_key": "a"}],
            ["x"],
            "secrets[0].json_key: not with path",
        ),
        ([{"source": "ssm", "path": "p"}], ["x"], "secrets[0].path: 'p' must start with '/'"),
        (
            [{"source": "ssm", "path": "/p", "prefix": "A-"}],
            ["x"],
            "secrets[0].prefix: 'A-' may hold",
        ),
        (
            [{"config_var": "A", "secret_id": "s", "recursive": True}],
            ["x"],
            "secrets[0].recursive: only with path",
        ),
        (
            [{"config_var": "A", "secret_id": "s", "prefix": "P_"}],
            ["x"],
            "secrets[0].prefix: only with path",
        ),
        (
            [{"config_var": "A", "secret_id": "s", "json_key": "a..b"}],
            ["x"],
            "secrets[0].json_key: 'a..b' is not a dotted path",
        ),
        (
            [{"config_var": "A", "secret_id": "s", "max_age_days": -1}],
            ["x"],
            "secrets[0].max_age_days",
        ),
        (
            [{"config_var": "A", "secret_id": "s"}, {"config_var": "A", "secret_id": "t"}],
            ["x"],
            "secrets[1].config_var: A is also the target of secrets[0]",
        ),
    ],
)
def test_bad_settings_name_the_field(secrets, apps, message):
    with pytest.raises(SyncInputError) as raised:
        settings_from(params(secrets, apps))
    assert str(raised.value).startswith(message), str(raised.value)


def test_settings_keep_each_entry():
    settings = settings_from(
        params(
            [
                {"config_var": "A", "secret_id": "s", "json_key": "plaid.secret"},
                {"source": "ssm", "path": "/p", "recursive": True, "prefix": "P_"},
            ],
            apps=["x", "y"],
        )
    )
    assert settings.apps == ["x", "y"]
    first, second = settings.sources
    assert first.json_key == ["plaid", "secret"] and first.version_stage == "AWSCURRENT"
    assert second.where == "secrets[1]" and second.recursive and second.prefix == "P_"


# -- reading sources (a stand-in reader) ----------------------------------------------------------
class Reader:
    """Documents by source, as SourceReader gives them."""

    def __init__(self, secrets=None, parameters=None, paths=None):
        self.secrets = secrets or {}
        self.parameters = parameters or {}
        self.paths = paths or {}

    def secret(self, spec):
        return Document(spec.secret_id, self.secrets[spec.secret_id], NOW)

    def parameter(self, spec):
        return Document(spec.parameter, self.parameters[spec.parameter], NOW)

    def path(self, spec):
        return [Document(name, value, NOW) for name, value in sorted(self.paths[spec.path].items())]


def test_sources_give_vars_in_declared_order():
    reader = Reader(
        secrets={"plaid": PLAID, "openai": "sk-1"},
        parameters={"/tg": "tg-1"},
        paths={"/tax": {"/tax/api-key": "k", "/tax/api.login": "l"}},
    )
    settings = settings_from(
        params(
            [
                {"source": "ssm", "path": "/tax", "prefix": "TAX_"},
                {"config_var": "OPENAI", "secret_id": "openai"},
                {"config_var": "PLAID_SECRET", "secret_id": "plaid", "json_key": "plaid.secret"},
                {"source": "ssm", "config_var": "TG", "parameter": "/tg"},
            ]
        )
    )
    found = read_sources(reader, settings.sources)
    assert [(f.config_var, f.value) for f in found] == [
        ("TAX_API_KEY", "k"),
        ("TAX_API_LOGIN", "l"),
        ("OPENAI", "sk-1"),
        ("PLAID_SECRET", "s3cr3t-value"),
        ("TG", "tg-1"),
    ]


def test_a_path_var_clashing_with_a_named_var_names_the_path():
    reader = Reader(secrets={"s": "v"}, paths={"/tax": {"/tax/api-key": "k"}})
    settings = settings_from(
        params(
            [
                {"source": "ssm", "path": "/tax"},
                {"config_var": "API_KEY", "secret_id": "s"},
            ]
        )
    )
    with pytest.raises(SyncInputError, match=r"^secrets\[0\]\.path: API_KEY is also the target"):
        read_sources(reader, settings.sources)


@pytest.mark.parametrize(
    ("paths", "prefix", "message"),
    [
        ({"/tax": {"/tax/1st": "v"}}, None, "parameter '/tax/1st' would become '1ST'"),
        ({"/tax": {}}, None, "no parameters under '/tax' (recursive: false"),
        (
            {"/tax": {"/tax/a/key": "1", "/tax/b/key": "2"}},
            "T_",
            "T_KEY is also the target of secrets[0]",
        ),
    ],
)
def test_a_path_that_cannot_give_vars_is_an_error(paths, prefix, message):
    entry = {"source": "ssm", "path": "/tax"}
    if prefix:
        entry["prefix"] = prefix
    settings = settings_from(params([entry]))
    with pytest.raises(SyncInputError) as raised:
        read_sources(Reader(paths=paths), settings.sources)
    assert str(raised.value).startswith("secrets[0].path: ")
    assert message in str(raised.value)


def test_a_1st_parameter_gets_a_name_with_a_prefix():
    settings = settings_from(params([{"source": "ssm", "path": "/tax", "prefix": "TAX_"}]))
    found = read_sources(Reader(paths={"/tax": {"/tax/1st": "v"}}), settings.sources)
    assert [f.config_var for f in found] == ["TAX_1ST"]


# -- the report -----------------------------------------------------------------------------------
def found(days_ago, max_age_days=90, last_changed=True):
    changed = NOW - datetime.timedelta(days=days_ago, hours=1) if last_changed else None
    return Found("VAR", "secretsmanager", "s", "secret-value", changed, max_age_days, "secrets[0]")


def test_the_report_gives_age_and_due_date_never_the_value():
    young, old, never, unknown = age_report(
        [found(10), found(95), found(400, max_age_days=0), found(0, last_changed=False)], NOW
    )
    assert young == {
        "config_var": "VAR",
        "source": "secretsmanager",
        "name": "s",
        "age_days": 10,
        "last_changed": "2026-11-13T11:00:00+00:00",
        "next_due": "2027-02-11",
        "due": False,
    }
    assert old["age_days"] == 95 and old["due"] is True and old["next_due"] == "2026-11-18"
    assert never["age_days"] == 400 and never["due"] is False and never["next_due"] is None
    assert unknown["age_days"] is None and unknown["due"] is False
    assert "secret-value" not in str([young, old, never, unknown])
    assert "secret-value" not in repr(found(10))  # not even in a traceback's locals


def test_due_starts_on_the_day():
    exactly = Found("V", "ssm", "/p", "x", NOW - datetime.timedelta(days=90), 90, "secrets[0]")
    assert age_report([exactly], NOW)[0]["due"] is True


# -- planning per app -----------------------------------------------------------------------------
DESIRED = {"OPENAI_API_KEY": "sk-2", "PLAID_SECRET": "p-1"}


def test_plan_sets_only_what_differs_and_never_removes():
    current = {"OPENAI_API_KEY": "sk-1", "PLAID_SECRET": "p-1", "OTHER": "x"}
    assert plan_app(current, DESIRED) == {"OPENAI_API_KEY": "sk-2"}
    assert plan_app({}, DESIRED) == DESIRED
    assert plan_app({**DESIRED, "OTHER": "x"}, DESIRED) == {}


def test_diff_masks_and_marks_changes():
    before = {"OPENAI_API_KEY": "sk-1", "PLAID_SECRET": "p-1", "OTHER": "x"}
    after = {"OPENAI_API_KEY": "sk-2", "PLAID_SECRET": "p-1", "NEW": "n", "OTHER": "x"}
    old, new = diff_view(before, after, ["OPENAI_API_KEY", "PLAID_SECRET", "NEW"])
    assert old == {"OPENAI_API_KEY": MASK, "PLAID_SECRET": MASK}
    assert new == {"OPENAI_API_KEY": CHANGED_MASK, "PLAID_SECRET": MASK, "NEW": MASK}


class FakeHeroku:
    """Apps' configs; PATCHes recorded; ``lose`` makes an app's next PATCH land unanswered."""

    def __init__(self, configs, lose=()):
        self.configs = configs
        self.lose = set(lose)
        self.requests = []

    def get(self, path):
        self.requests.append(("GET", path))
        return dict(self.configs[path.split("/")[2]])

    def patch(self, path, body):
        self.requests.append(("PATCH", path, dict(body)))
        app = path.split("/")[2]
        self.configs[app].update(body)
        if app in self.lose:
            self.lose.discard(app)
            raise HerokuWriteUncertain(None, "no_answer", "no answer", method="PATCH", path=path)
        return dict(self.configs[app])


def test_next_step_takes_the_apps_in_order_and_stops_when_in_sync():
    heroku = FakeHeroku({"a": {}, "b": dict(DESIRED)})
    sync = AppSync(heroku, ["a", "b"], DESIRED)
    step = sync.next_step(sync.read())
    assert step.message == "set OPENAI_API_KEY, PLAID_SECRET on app a"
    assert "sk-2" not in step.message
    step.apply()
    assert sync.next_step(sync.read()) is None


def test_each_app_gets_one_patch_with_only_its_differences():
    heroku = FakeHeroku({"a": {"OPENAI_API_KEY": "sk-2"}, "b": {}, "c": dict(DESIRED)})
    sync = AppSync(heroku, ["a", "b", "c"], DESIRED)
    _, progress = run_steps(sync.read, sync.next_step, check_mode=False)
    patches = [request for request in heroku.requests if request[0] == "PATCH"]
    assert patches == [
        ("PATCH", "/apps/a/config-vars", {"PLAID_SECRET": "p-1"}),
        ("PATCH", "/apps/b/config-vars", DESIRED),
    ]
    assert len(progress.steps) == 2
    reads = [request for request in heroku.requests if request[0] == "GET"]
    assert len(reads) == 3  # every app once: a PATCH's answer is the app's new config


def test_a_lost_answer_is_judged_by_reading_the_app_again():
    heroku = FakeHeroku({"a": {}, "b": {}}, lose={"a"})
    sync = AppSync(heroku, ["a", "b"], DESIRED)
    state, progress = run_steps(sync.read, sync.next_step, check_mode=False)
    assert state == {"a": DESIRED, "b": DESIRED}
    patches = [request[1] for request in heroku.requests if request[0] == "PATCH"]
    assert patches == ["/apps/a/config-vars", "/apps/b/config-vars"]
    reads = [request[1] for request in heroku.requests if request[0] == "GET"]
    assert reads.count("/apps/a/config-vars") == 2
    assert progress.uncertain == 1


def test_a_lost_answer_of_a_patch_that_did_not_land_is_sent_again_with_what_differs():
    class Refusing(FakeHeroku):
        def patch(self, path, body):
            if not any(r[0] == "PATCH" for r in self.requests):
                self.requests.append(("PATCH", path, dict(body)))
                raise HerokuWriteUncertain(503, None, "unavailable", method="PATCH", path=path)
            return super().patch(path, body)

    heroku = Refusing({"a": {"OPENAI_API_KEY": "sk-2"}})
    sync = AppSync(heroku, ["a"], DESIRED)
    state, _ = run_steps(sync.read, sync.next_step, check_mode=False)
    assert state == {"a": DESIRED}
    patches = [request[2] for request in heroku.requests if request[0] == "PATCH"]
    assert patches == [{"PLAID_SECRET": "p-1"}, {"PLAID_SECRET": "p-1"}]


def test_an_unknown_app_names_its_index():
    from ansible_collections.herokuops.platform.plugins.module_utils._client import HerokuApiError

    class Missing(FakeHeroku):
        def get(self, path):
            if "/ghost/" in path:
                raise HerokuApiError(404, "not_found", "Couldn't find that app.", "GET", path)
            return super().get(path)

    sync = AppSync(Missing({"a": {}}), ["a", "ghost"], DESIRED)
    with pytest.raises(InputError, match=r"^apps\[1\]: no Heroku app named 'ghost'"):
        sync.read()
