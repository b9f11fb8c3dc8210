# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Third-party keys kept in AWS (Secrets Manager, SSM Parameter Store) set as config vars.

People rotate these keys by hand at the provider (OpenAI, Plaid, TaxCloud, Telegram) and put the
new value in AWS; a run copies what AWS holds onto every listed app:

1. the settings are checked (errors name the field, ``secrets[1].json_key``);
2. every source is read from AWS, once per secret, parameter or path; JSON keys are resolved and
   the target var names settled, so a missing secret, a malformed JSON key or two sources
   aiming at one var fail before any write;
3. every app's config is read; then, one app at a time, the vars that differ are set in one
   PATCH (one release). An app already in sync gets no request that writes.

Step 3 runs through ``_delivery.run_steps``: the next app to patch is decided from the configs
read, so a run that died between two apps is finished by the next run, and a PATCH whose answer
was lost is not sent again as is: the app is read again and only what still differs is set.
Values stay in memory: results, diffs, warnings and errors carry names, ids, dates and ages.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field

from ansible_collections.herokuops.platform.plugins.module_utils._aws import AwsError, error_code
from ansible_collections.herokuops.platform.plugins.module_utils._client import HerokuApiError
from ansible_collections.herokuops.platform.plugins.module_utils._config_vars import (
    CHANGED_MASK,
    MASK,
)
from ansible_collections.herokuops.platform.plugins.module_utils._delivery import (
    MAX_UNCERTAIN,
    VAR_NAME,
    AppConfigs,
    InputError,
    Progress,
    Step,
    as_utc,
    run_steps,
    utcnow,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import ModuleFailure

SECRETSMANAGER, SSM = "secretsmanager", "ssm"
CURRENT = "AWSCURRENT"
PREFIX = re.compile(r"^[A-Za-z0-9_]*$")
DEFAULT_MAX_AGE_DAYS = 90


class SyncInputError(InputError):
    """Bad input, found before any write; the message starts with the field it is about."""


# -- settings --------------------------------------------------------------------------------
@dataclass
class SourceSpec:
    """One entry of ``secrets``, checked; ``where`` is how errors name it (``secrets[2]``)."""

    index: int
    source: str
    config_var: str | None = None
    secret_id: str | None = None
    version_stage: str = CURRENT
    json_key: list | None = None  # the dotted path, split
    parameter: str | None = None
    path: str | None = None
    recursive: bool = False
    prefix: str = ""
    max_age_days: int = DEFAULT_MAX_AGE_DAYS

    @property
    def where(self):
        return f"secrets[{self.index}]"

    @property
    def json_key_text(self):
        return ".".join(self.json_key) if self.json_key else None


@dataclass
class Settings:
    apps: list
    sources: list


def parse_json_key(text, where="json_key"):
    """``"plaid.secret"`` -> ``["plaid", "secret"]``; SyncInputError naming ``where`` when the
    path is malformed (empty, an empty segment, a leading or trailing dot)."""
    if not isinstance(text, str) or not text.strip():
        raise SyncInputError(f"{where}: cannot be empty.")
    segments = text.split(".")
    if any(not segment for segment in segments):
        raise SyncInputError(
            f"{where}: {text!r} is not a dotted path of keys: it has an empty segment (a "
            "leading, trailing or doubled dot)."
        )
    return segments


def _text(entry, name):
    value = entry.get(name)
    if value is None:
        return None
    return str(value)


def source_from(index, entry):
    """One ``secrets`` entry as a SourceSpec; SyncInputError naming the field."""
    where = f"secrets[{index}]"
    if not isinstance(entry, dict):
        raise SyncInputError(f"{where}: expected a mapping of options.")
    source = entry.get("source") or SECRETSMANAGER
    if source not in (SECRETSMANAGER, SSM):
        raise SyncInputError(f"{where}.source: must be secretsmanager or ssm, not {source!r}.")
    secret_id = _text(entry, "secret_id")
    parameter = _text(entry, "parameter")
    path = _text(entry, "path")
    config_var = _text(entry, "config_var")
    json_key = _text(entry, "json_key")
    version_stage = _text(entry, "version_stage")
    prefix = _text(entry, "prefix")
    recursive = bool(entry.get("recursive"))
    max_age_days = entry.get("max_age_days")
    max_age_days = DEFAULT_MAX_AGE_DAYS if max_age_days is None else max_age_days

    if secret_id is not None and parameter is not None:
        raise SyncInputError(
            f"{where}.parameter: cannot be combined with secret_id; an entry reads either a "
            "Secrets Manager secret (secret_id) or an SSM parameter (parameter, with source: ssm)."
        )
    if secret_id is not None and path is not None:
        raise SyncInputError(
            f"{where}.path: cannot be combined with secret_id; an entry reads either a Secrets "
            "Manager secret (secret_id) or SSM parameters (path, with source: ssm)."
        )
    if parameter is not None and path is not None:
        raise SyncInputError(f"{where}.path: cannot be combined with parameter; give one of them.")

    if source == SECRETSMANAGER:
        for name, given in (("parameter", parameter), ("path", path)):
            if given is not None:
                raise SyncInputError(f"{where}.{name}: only with source: ssm.")
        if secret_id is None or not secret_id.strip():
            raise SyncInputError(f"{where}.secret_id: required with source: secretsmanager.")
        if version_stage is not None and not version_stage.strip():
            raise SyncInputError(f"{where}.version_stage: cannot be empty.")
    else:
        if secret_id is not None:
            raise SyncInputError(f"{where}.secret_id: only with source: secretsmanager.")
        if version_stage not in (None, CURRENT):
            raise SyncInputError(f"{where}.version_stage: only with source: secretsmanager.")
        if parameter is None and path is None:
            raise SyncInputError(f"{where}.parameter: give parameter (or path) with source: ssm.")
        if parameter is not None and not parameter.strip():
            raise SyncInputError(f"{where}.parameter: cannot be empty.")

    if path is not None:
        if not path.startswith("/"):
            raise SyncInputError(f"{where}.path: {path!r} must start with '/'.")
        if config_var is not None:
            raise SyncInputError(
                f"{where}.config_var: not with path; every parameter under the path becomes the "
                "var named by its last segment (use prefix to set them apart)."
            )
        if json_key is not None:
            raise SyncInputError(
                f"{where}.json_key: not with path; only with secret_id or parameter."
            )
        if prefix and not PREFIX.match(prefix):
            raise SyncInputError(
                f"{where}.prefix: {prefix!r} may hold only letters, digits and underscores."
            )
    else:
        if recursive:
            raise SyncInputError(f"{where}.recursive: only with path.")
        if prefix:
            raise SyncInputError(f"{where}.prefix: only with path.")
        if config_var is None:
            raise SyncInputError(f"{where}.config_var: required (except with path).")
        if not VAR_NAME.match(config_var):
            raise SyncInputError(
                f"{where}.config_var: {config_var!r} is not a config var name "
                "(^[A-Za-z_][A-Za-z0-9_]*$)."
            )
    if not isinstance(max_age_days, int) or isinstance(max_age_days, bool) or max_age_days < 0:
        raise SyncInputError(f"{where}.max_age_days: must be a whole number of days, 0 or more.")

    return SourceSpec(
        index=index,
        source=source,
        config_var=config_var,
        secret_id=secret_id.strip() if secret_id else None,
        version_stage=(version_stage or CURRENT).strip(),
        json_key=parse_json_key(json_key, f"{where}.json_key") if json_key is not None else None,
        parameter=parameter.strip() if parameter else None,
        path=path,
        recursive=recursive,
        prefix=prefix or "",
        max_age_days=max_age_days,
    )


def settings_from(params):
    """Settings from the module's parameters; every error names the field, before any request."""
    apps = list(params.get("apps") or [])
    if not apps:
        raise SyncInputError("apps: give at least one app.")
    for index, app in enumerate(apps):
        if not isinstance(app, str) or not app.strip():
            raise SyncInputError(f"apps[{index}]: an app name cannot be empty.")
        if app in apps[:index]:
            raise SyncInputError(f"apps[{index}]: {app!r} is listed twice.")
    entries = params.get("secrets") or []
    if not entries:
        raise SyncInputError("secrets: give at least one secret.")
    sources = [source_from(index, entry) for index, entry in enumerate(entries)]
    targets = {}
    for spec in sources:
        if spec.config_var is None:
            continue
        if spec.config_var in targets:
            raise SyncInputError(
                f"{spec.where}.config_var: {spec.config_var} is also the target of "
                f"{targets[spec.config_var]}; a var can come from one source only."
            )
        targets[spec.config_var] = spec.where
    return Settings(apps=apps, sources=sources)


# -- values ----------------------------------------------------------------------------------
class _Number(str):
    """A JSON number as written in the secret (``1.10`` stays ``1.10``)."""


def _load_json(text):
    return json.loads(text, parse_float=_Number, parse_int=_Number, parse_constant=_Number)


def _kind(value):
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, _Number):
        return "a number"
    return "a string"


def resolve_json_key(text, segments, where="json_key", described="the secret"):
    """The config value at ``segments`` inside the JSON document ``text`` (pure).

    Objects are entered by key, arrays by a decimal index. Strings are taken as they are,
    numbers as written, booleans as ``true``/``false``. SyncInputError naming ``where`` (never
    quoting a value) when the text is not JSON, a key is missing or the value is not a scalar.
    """
    dotted = ".".join(segments)
    try:
        document = _load_json(text)
    except (TypeError, ValueError):
        raise SyncInputError(
            f"{where}: {described} is not JSON, so {dotted!r} cannot be looked up in it; drop "
            "json_key to take the whole value."
        ) from None
    current = document
    for depth, segment in enumerate(segments):
        here = ".".join(segments[:depth]) or "the top level"
        if isinstance(current, dict):
            if segment not in current:
                raise SyncInputError(f"{where}: {described} has no key {segment!r} at {here}.")
            current = current[segment]
        elif isinstance(current, list) and segment.isdecimal():
            if int(segment) >= len(current):
                raise SyncInputError(
                    f"{where}: {described} has no item {segment} at {here} (it has {len(current)})."
                )
            current = current[int(segment)]
        else:
            raise SyncInputError(
                f"{where}: {described} holds {_kind(current)} at {here}, where key "
                f"{segment!r} was expected."
            )
    if isinstance(current, bool):
        return "true" if current else "false"
    if isinstance(current, str):  # strings and numbers (kept as written)
        return str(current)
    raise SyncInputError(
        f"{where}: {described} holds {_kind(current)} at {dotted!r}; a config var takes a "
        "string, a number or a boolean."
    )


def var_name_for(parameter_name, prefix=""):
    """The config var an SSM parameter under a path becomes: its last path segment,
    upper-cased, ``-`` and ``.`` as ``_``, after ``prefix`` (pure)."""
    last = parameter_name.rstrip("/").rsplit("/", 1)[-1]
    return prefix + last.upper().replace("-", "_").replace(".", "_")


# -- reading AWS -----------------------------------------------------------------------------
@dataclass
class Found:
    """One var to set: where its value came from, and when that source last changed."""

    config_var: str
    source: str
    name: str
    value: str = field(repr=False)  # memory only: never in a repr, result or message
    last_changed: datetime.datetime | None
    max_age_days: int
    where: str


@dataclass
class Document:
    """What one AWS read gave: the text and its date (cached per secret, parameter or path)."""

    name: str
    value: str = field(repr=False)
    last_changed: datetime.datetime | None


class SourceReader:
    """Reads every source once (a secret read for two JSON keys is read once)."""

    def __init__(self, aws):
        self.aws = aws
        self.cache = {}

    def secret(self, spec):
        key = (SECRETSMANAGER, spec.secret_id, spec.version_stage)
        if key not in self.cache:
            self.cache[key] = self._secret(spec)
        return self.cache[key]

    def _secret(self, spec):
        where = f"{spec.where}.secret_id"
        try:
            # The stage is always named: moto answers the old value without it after a move.
            answer = self.aws.call(
                SECRETSMANAGER,
                "get_secret_value",
                SecretId=spec.secret_id,
                VersionStage=spec.version_stage,
            )
        except AwsError as error:
            raise self._secret_error(spec, error) from None
        value = answer.get("SecretString")
        if value is None:
            raise SyncInputError(
                f"{where}: secret {spec.secret_id!r} holds binary data; a config var is text."
            )
        created = answer.get("CreatedDate")
        if created is None:
            described = self.aws.call(SECRETSMANAGER, "describe_secret", SecretId=spec.secret_id)
            created = described.get("LastChangedDate")
        return Document(spec.secret_id, value, as_utc(created) if created else None)

    def _secret_error(self, spec, error):
        where = f"{spec.where}.secret_id"
        code = error_code(error)
        if code == "ResourceNotFoundException":
            try:
                self.aws.call(SECRETSMANAGER, "describe_secret", SecretId=spec.secret_id)
            except AwsError as described_error:
                if error_code(described_error) == "ResourceNotFoundException":
                    return SyncInputError(f"{where}: no such secret {spec.secret_id!r}.")
                return ModuleFailure(f"{where}: {described_error}", error=described_error.to_dict())
            return SyncInputError(
                f"{spec.where}.version_stage: secret {spec.secret_id!r} has no version labelled "
                f"{spec.version_stage}."
            )
        if code == "InvalidRequestException" and "deletion" in (error.message or ""):
            return SyncInputError(
                f"{where}: secret {spec.secret_id!r} is scheduled for deletion; restore it or "
                "remove this entry."
            )
        return ModuleFailure(f"{where}: {error}", error=error.to_dict())

    def parameter(self, spec):
        key = (SSM, spec.parameter)
        if key not in self.cache:
            try:
                answer = self.aws.call(
                    SSM, "get_parameter", Name=spec.parameter, WithDecryption=True
                )
            except AwsError as error:
                if error_code(error) == "ParameterNotFound":
                    raise SyncInputError(
                        f"{spec.where}.parameter: no such parameter {spec.parameter!r}."
                    ) from None
                raise ModuleFailure(
                    f"{spec.where}.parameter: {error}", error=error.to_dict()
                ) from None
            self.cache[key] = _parameter_document(answer["Parameter"])
        return self.cache[key]

    def path(self, spec):
        key = (SSM, spec.path, spec.recursive)
        if key not in self.cache:
            try:
                found = self.aws.paginate(
                    SSM,
                    "get_parameters_by_path",
                    "Parameters",
                    Path=spec.path,
                    Recursive=spec.recursive,
                    WithDecryption=True,
                )
            except AwsError as error:
                raise ModuleFailure(f"{spec.where}.path: {error}", error=error.to_dict()) from None
            documents = sorted((_parameter_document(p) for p in found), key=lambda d: d.name)
            self.cache[key] = documents
        return self.cache[key]


def _parameter_document(parameter):
    modified = parameter.get("LastModifiedDate")
    return Document(parameter["Name"], parameter["Value"], as_utc(modified) if modified else None)


def read_sources(reader, sources):
    """Every var to set, in the order declared (a path's parameters by name). Errors name the
    entry: unknown secrets, JSON keys that do not resolve, names a path cannot give, and two
    sources aiming at one var."""
    found = []
    targets = {}

    def add(item, field_name):
        if item.config_var in targets:
            raise SyncInputError(
                f"{item.where}.{field_name}: {item.config_var} is also the target of "
                f"{targets[item.config_var]}; a var can come from one source only."
            )
        targets[item.config_var] = item.where
        found.append(item)

    # Vars named outright claim their names first, so a clash names the path that collides.
    ordered = sorted(sources, key=lambda spec: spec.path is not None)
    for spec in ordered:
        if spec.source == SECRETSMANAGER:
            document = reader.secret(spec)
            described = f"secret {spec.secret_id!r} ({spec.version_stage})"
        elif spec.parameter is not None:
            document = reader.parameter(spec)
            described = f"parameter {spec.parameter!r}"
        else:
            documents = reader.path(spec)
            if not documents:
                raise SyncInputError(
                    f"{spec.where}.path: no parameters under {spec.path!r}"
                    + ("" if spec.recursive else " (recursive: false reads direct children only)")
                    + "."
                )
            for document in documents:
                name = var_name_for(document.name, spec.prefix)
                if not VAR_NAME.match(name):
                    raise SyncInputError(
                        f"{spec.where}.path: parameter {document.name!r} would become {name!r}, "
                        "which is not a config var name; set a prefix that starts with a letter."
                    )
                add(_found(spec, name, document, document.value), "path")
            continue
        value = document.value
        if spec.json_key:
            value = resolve_json_key(value, spec.json_key, f"{spec.where}.json_key", described)
        add(_found(spec, spec.config_var, document, value), "config_var")
    position = {spec.where: order for order, spec in enumerate(sources)}
    found.sort(key=lambda item: position[item.where])
    return found


def _found(spec, config_var, document, value):
    return Found(
        config_var=config_var,
        source=spec.source,
        name=document.name,
        value=value,
        last_changed=document.last_changed,
        max_age_days=spec.max_age_days,
        where=spec.where,
    )


def age_report(found, now):
    """One entry per var (never a value): its source, age and when it is due for rotation."""
    report = []
    for item in found:
        entry = {
            "config_var": item.config_var,
            "source": item.source,
            "name": item.name,
            "age_days": None,
            "last_changed": None,
            "next_due": None,
            "due": False,
        }
        if item.last_changed is not None:
            entry["age_days"] = (now - item.last_changed).days
            entry["last_changed"] = item.last_changed.isoformat(timespec="seconds")
            if item.max_age_days > 0:
                due_at = item.last_changed + datetime.timedelta(days=item.max_age_days)
                entry["next_due"] = due_at.date().isoformat()
                entry["due"] = now >= due_at
        report.append(entry)
    return report


# -- planning --------------------------------------------------------------------------------
def plan_app(config, desired):
    """The PATCH body that brings ``config`` to ``desired`` (name -> value): only the vars that
    differ; never a removal (pure)."""
    return {name: value for name, value in desired.items() if config.get(name) != value}


def diff_view(before, after, names):
    """(before, after) of the synced vars for --diff: masks only; a var whose value changed
    shows as changed, one that is new appears only after (pure)."""
    old, new = {}, {}
    for name in names:
        if name in before:
            old[name] = MASK
        if name in after:
            changed = name in before and before[name] != after[name]
            new[name] = CHANGED_MASK if changed else MASK
    return old, new


class AppSync:
    """The apps' side, as ``read`` and ``next_step`` for ``run_steps``.

    Configs are read once (all apps at once) and then kept as each PATCH answers them; an app
    is read again only after a write to it failed, so a write whose answer was lost is judged
    by what the app holds, not sent again as is.
    """

    def __init__(self, heroku, apps, desired):
        self.apps = apps
        self.desired = desired
        self.app_configs = AppConfigs(heroku, apps)

    def read(self):
        return self.app_configs.read()

    def next_step(self, state):
        for app in self.apps:
            changes = plan_app(state[app], self.desired)
            if changes:
                names = ", ".join(sorted(changes))
                return Step(
                    "synced", f"set {names} on app {app}", lambda a=app, c=changes: self.write(a, c)
                )
        return None

    def write(self, app, changes):
        self.app_configs.write(app, changes)


# -- the module's run ------------------------------------------------------------------------
def run_secrets_sync(task, now=utcnow, on_step=None):
    """The module's run: settings, every AWS read, then the apps one PATCH at a time.
    ``on_step(step, state)`` runs after each PATCH (tests crash the run there)."""
    try:
        settings = settings_from(task.params)
        found = read_sources(SourceReader(task.aws), settings.sources)
    except SyncInputError as error:
        raise ModuleFailure(str(error)) from None
    today = as_utc(now())
    report = age_report(found, today)
    for entry, item in zip(report, found, strict=True):
        if entry["due"]:
            task.warn(
                f"{item.where}: {entry['config_var']} comes from {entry['source']} "
                f"{entry['name']!r}, last changed {entry['age_days']} days ago; it was due for "
                f"rotation on {entry['next_due']} (max_age_days {item.max_age_days})."
            )
    desired = {item.config_var: item.value for item in found}
    sync = AppSync(task.client, settings.apps, desired)
    try:
        before = sync.read()
    except InputError as error:
        raise ModuleFailure(str(error)) from None
    plans = {app: plan_app(before[app], desired) for app in settings.apps}

    progress = Progress()
    if task.check_mode:
        after = {app: {**before[app], **plans[app]} for app in settings.apps}
        changed = any(plans.values())
    else:
        try:
            after, progress = run_steps(
                sync.read,
                sync.next_step,
                check_mode=False,
                on_step=on_step,
                progress=progress,
                # One PATCH per app, plus a read-and-retry for each lost answer.
                max_steps=2 * len(settings.apps) + MAX_UNCERTAIN,
            )
        except (HerokuApiError, AwsError) as error:
            raise ModuleFailure(str(error), error=error.to_dict(), secrets=report) from None
        changed = any(step.apply is not None for step in progress.steps)

    result = {
        "changed": changed,
        "apps": {app: {"set_keys": sorted(plans[app])} for app in settings.apps},
        "secrets": report,
    }
    if task.diff_mode:
        names = list(desired)
        views = {app: diff_view(before[app], after[app], names) for app in settings.apps}
        header = "config vars synced from AWS"
        result["diff"] = {
            "before_header": header,
            "after_header": header,
            "before": {app: view[0] for app, view in views.items()},
            "after": {app: view[1] for app, view in views.items()},
        }
    return result
