"""Rules shared by several resources: finding apps, config vars and their owners, releases,
slugs and the formation they set.

Handlers of different resources call these so that, for example, an add-on attachment and a
config-var PATCH both make releases the same way. Each resource's own handlers live in
resources/<definition>.py, named after the schema definition they serve.
"""

import hashlib
import random
import re

from . import catalog
from .errors import invalid_params, not_found

EPOCH = "2024-01-01T00:00:00Z"  # when catalog entries (stacks, regions, features) were made
DEVCENTER = "https://devcenter.heroku.com/articles/"


# -- Heroku Labs features (account, app and team features share one shape) ---------------------
def render_feature(definition, catalog_entry, name, record=None, iso=None):
    """A feature as the API shows it. ``catalog_entry`` is (display name, description, state,
    enabled by default); ``record`` the stored toggle, if any (``iso`` renders its time)."""
    display, description, state, default = catalog_entry
    return {
        "created_at": EPOCH,
        "description": description,
        "doc_url": DEVCENTER + name,
        "enabled": record["enabled"] if record else default,
        "id": catalog.fixed_id(definition, name),
        "name": name,
        "state": state,
        "updated_at": iso(record["updated_at"]) if record else EPOCH,
        "display_name": display,
        "feedback_email": f"{name}-feedback@heroku.com",
    }


def find_feature(definition, features, identity):
    """The name of the feature of ``features`` that ``identity`` (name or id) names."""
    for name in features:
        if identity in (name, catalog.fixed_id(definition, name)):
            return name
    raise not_found("feature")


ACCOUNT_EMAIL = "owner@example.com"
RELEASE_OUTPUT_PATH = "/release-output/streams/"
ACCOUNT_ID = catalog.fixed_id("account", ACCOUNT_EMAIL)
WORDS_A = ("calm", "brave", "shaped", "curved", "silent", "rapid", "quiet", "rugged", "tidy")
WORDS_B = ("river", "meadow", "harbor", "summit", "forest", "canyon", "island", "valley")


def account_ref():
    return {"id": ACCOUNT_ID, "email": ACCOUNT_EMAIL}


def random_name(prefix=None):
    words = f"{random.choice(WORDS_A)}-{random.choice(WORDS_B)}-{random.randint(10000, 99999)}"
    return f"{prefix}-{words}" if prefix else words


def find_app(call, identity):
    for app in call.store.all("apps"):
        if identity in (app["id"], app["name"]):
            return app
    raise not_found("app")


def app_ref(app):
    return {"id": app["id"], "name": app["name"]}


def web_url(name):
    digest = hashlib.sha1(name.encode()).hexdigest()[:12]
    return f"https://{name}-{digest}.herokuapp.com/"


# -- config vars -----------------------------------------------------------------------------
def plain_config(call, app_id):
    """Vars set through config-vars, not owned by an add-on attachment."""
    return call.store.table("config").setdefault(app_id, {})


def addon_provisioned(call, addon):
    return addon.get("state") != "deprovisioned" and call.now() >= addon.get("ready_at", 0)


def attachment_config(call, app_id):
    """Vars that add-on attachments put on the app: {NAME: (value, attachment)}."""
    owned = {}
    for attachment in call.store.find("attachments", app_id=app_id):
        addon = call.store.get("addons", attachment["addon_id"])
        if addon is None or not addon_provisioned(call, addon):
            continue
        for suffix in catalog.SERVICES[addon["service"]]["vars"]:
            owned[attachment["name"] + suffix] = (addon["secrets"][suffix], attachment)
    return owned


def attachment_var_names(call, app_id):
    """Every var name an attachment owns, provisioned or not (they are reserved at once)."""
    names = set()
    for attachment in call.store.find("attachments", app_id=app_id):
        addon = call.store.get("addons", attachment["addon_id"])
        if addon is not None:
            names.update(attachment["name"] + s for s in catalog.SERVICES[addon["service"]]["vars"])
    return names


def full_config(call, app_id):
    merged = dict(plain_config(call, app_id))
    merged.update({name: value for name, (value, _) in attachment_config(call, app_id).items()})
    return merged


def change_config(call, app, changes):
    """Apply a config-vars PATCH body (None removes).

    Like Heroku, every PATCH makes a release, even one that changes nothing: that is why
    clients must compare before they write.
    """
    owned = sorted(set(changes) & attachment_var_names(call, app["id"]))
    if owned:
        raise invalid_params(f"Cannot overwrite attachment values {', '.join(owned)}.")
    config = plain_config(call, app["id"])
    set_keys = [k for k, v in changes.items() if v is not None]
    removed = [k for k, v in changes.items() if v is None]
    for key in set_keys:
        config[key] = changes[key]
    for key in removed:
        config.pop(key, None)
    parts = []
    if set_keys:
        parts.append(f"Set {', '.join(set_keys)}")
    if removed:
        parts.append(f"{'remove' if parts else 'Remove'} {', '.join(removed)}")
    create_release(call, app, f"{' and '.join(parts) or 'Set no'} config vars")
    return full_config(call, app["id"])


# -- releases --------------------------------------------------------------------------------
def releases_of(call, app_id):
    return sorted(call.store.find("releases", app_id=app_id), key=lambda r: r["version"])


def current_release(call, app_id):
    found = [r for r in releases_of(call, app_id) if release_status(call, r) == "succeeded"]
    return found[-1] if found else None


def release_status(call, release):
    if release.get("status") == "failed":
        return "failed"
    if call.now() < release.get("pending_until", 0):
        return "pending"
    if release.get("release_exit"):  # the release command ended with a non-zero status
        return "failed"
    return "succeeded"


def addon_plan_names(call, app_id):
    names = []
    for attachment in call.store.find("attachments", app_id=app_id):
        addon = call.store.get("addons", attachment["addon_id"])
        if addon is not None:
            names.append(f"{addon['service']}:{addon['plan']}")
    return sorted(set(names))


def attachment_snapshot(call, app_id):
    """Every attachment's vars on the app, provisioned or not, as a release records them."""
    snapshot = {}
    for attachment in call.store.find("attachments", app_id=app_id):
        addon = call.store.get("addons", attachment["addon_id"])
        if addon is not None:
            for suffix in catalog.SERVICES[addon["service"]]["vars"]:
                snapshot[attachment["name"] + suffix] = addon["secrets"][suffix]
    return snapshot


def create_release(call, app, description, slug_id=None, release_phase=False, config=None):
    """A new release; it keeps the current slug unless given one. Returns the record.

    `config` holds the plain vars (what a rollback restores); the add-on vars of the moment
    are kept apart, since a rollback does not bring old add-on credentials back.
    """
    previous = releases_of(call, app["id"])
    if slug_id is None and previous:
        slug_id = previous[-1].get("slug_id")
    if config is None:
        config = dict(plain_config(call, app["id"]))
    now = call.now()
    release = call.store.insert(
        "releases",
        {
            "app_id": app["id"],
            "version": (previous[-1]["version"] + 1) if previous else 1,
            "description": description,
            "slug_id": slug_id,
            "config": config,
            "addon_config": attachment_snapshot(call, app["id"]),
            "addon_plan_names": addon_plan_names(call, app["id"]),
            "created_at": now,
            "updated_at": now,
            "pending_until": now + call.settings.release_phase_seconds if release_phase else 0,
        },
    )
    app["released_at"] = now
    app["updated_at"] = now
    return release


def release_output_url(call, release):
    """Where the release phase's output streams: only a release with a release phase has one.

    Heroku serves it from release-output.heroku.com; the emulator serves it itself."""
    if not release.get("pending_until"):
        return None
    return f"{call.emulator.base_url}{RELEASE_OUTPUT_PATH}{release['id']}"


def render_release(call, release):
    app = call.store.get("apps", release["app_id"])
    status = release_status(call, release)
    current = current_release(call, release["app_id"])
    slug = {"id": release["slug_id"]} if release.get("slug_id") else None
    return {
        "addon_plan_names": release["addon_plan_names"],
        "artifacts": [{"type": "slug", "id": release["slug_id"]}] if slug else [],
        "app": app_ref(app) if app else {"id": release["app_id"], "name": None},
        "created_at": call.iso(release["created_at"]),
        "description": release["description"],
        "id": release["id"],
        "updated_at": call.iso(max(release["updated_at"], release.get("pending_until") or 0)),
        "slug": slug,
        "status": status,
        "user": account_ref(),
        "version": release["version"],
        "current": bool(current and current["id"] == release["id"]),
        "output_stream_url": release_output_url(call, release),
        "eligible_for_rollback": status == "succeeded",
    }


# -- slugs, formation ------------------------------------------------------------------------
DEFAULT_DYNO_SIZE = "basic"
# The Procfile's `release` command runs once per release (the release phase), never as dynos:
# Heroku lists it in the formation at quantity 0.
RELEASE_PHASE = "release"
# `exit 1`, `exit $VAR`, `exit ${VAR}` or `exit ${VAR:-default}`
EXIT_COMMAND = re.compile(
    r"^\s*exit\s+(?:\$\{(?P<braced>\w+)(?::-(?P<default>[^}]*))?\}|\$(?P<plain>\w+)|(?P<word>\S+))\s*$"
)


def sync_formation(call, app, process_types):
    """The formation follows the released slug's process types; web starts at one dyno."""
    existing = {f["type"]: f for f in call.store.find("formation", app_id=app["id"])}
    first_deploy = not existing
    now = call.now()
    wanted = dict(process_types)
    for name, command in wanted.items():
        if name in existing:
            existing[name]["command"] = command
            existing[name]["updated_at"] = now
            continue
        call.store.insert(
            "formation",
            {
                "app_id": app["id"],
                "type": name,
                "command": command,
                "quantity": 1 if (name == "web" and first_deploy) else 0,
                "size": DEFAULT_DYNO_SIZE,
                "created_at": now,
                "updated_at": now,
            },
        )
    for name, record in existing.items():
        if name not in wanted:
            call.store.remove("formation", record["id"])


def release_phase_exit(command, config):
    """The exit status of a release command, as far as the emulator runs one: `exit N`, where
    N is a number or a config var (`$VAR`, `${VAR}`, `${VAR:-default}`), ends with N as a shell
    would (an empty N with 0, a word with 2); any other command succeeds."""
    match = EXIT_COMMAND.match(command or "")
    if not match:
        return 0
    name = match.group("braced") or match.group("plain")
    fallback = match.group("default") or ""  # ${VAR:-default} when VAR is unset or empty
    value = (config.get(name) or fallback if name else match.group("word")).strip()
    if not value:
        return 0
    return int(value) % 256 if value.isdigit() else 2


def deploy_slug(call, app, slug, description, config=None):
    """Release a slug on an app (build, release create, promotion, rollback).

    A `release` process in the slug's Procfile keeps the release pending for the configured
    release-phase time, as Heroku runs it before the new dynos start; a release command
    `exit N` (see release_phase_exit) then fails the release.
    """
    process_types = slug.get("process_types") or {}
    sync_formation(call, app, process_types)
    release = create_release(
        call,
        app,
        description,
        slug_id=slug["id"],
        release_phase=RELEASE_PHASE in process_types,
        config=config,
    )
    if RELEASE_PHASE in process_types:
        environment = {**release["addon_config"], **release["config"]}
        release["release_exit"] = release_phase_exit(process_types[RELEASE_PHASE], environment)
    return release


def new_slug(call, app, process_types, stack, checksum=None, size=None, **described):
    """A slug record (a build's result, or a client's POST /slugs)."""
    now = call.now()
    return call.store.insert(
        "slugs",
        {
            "app_id": app["id"],
            "process_types": dict(process_types),
            "checksum": checksum,
            "size": size,
            "stack": stack,
            "commit": described.get("commit"),
            "commit_description": described.get("commit_description"),
            "buildpack_provided_description": described.get("buildpack_provided_description"),
            "created_at": now,
            "updated_at": now,
        },
    )


# -- records of one app ----------------------------------------------------------------------
def app_record(call, record_id, table, app, what):
    """The record of `table` with that id, if it belongs to `app`; else a 404 naming `what`."""
    record = call.store.get(table, record_id)
    if record is None or record.get("app_id") != app["id"]:
        raise not_found(what)
    return record


def stamp(call, record):
    record["updated_at"] = call.now()
    return record


def digest(secret):
    """What the emulator keeps of a secret a client sends: Heroku never hands those back."""
    return hashlib.sha256(secret.encode()).hexdigest() if secret else None


# -- add-on attachments: made by add-on Create and attachment Create alike ------------------
# Heroku names a second data add-on on an app HEROKU_<KIND>_<COLOR>.
COLORS = (
    "AMBER", "AQUA", "BLACK", "BLUE", "BRONZE", "BROWN", "CHARCOAL", "COBALT", "COPPER",
    "CRIMSON", "CYAN", "GOLD", "GRAY", "GREEN", "IVORY", "JADE", "LIME", "MAROON", "MAUVE",
    "NAVY", "OLIVE", "ONYX", "ORANGE", "PINK", "PUCE", "PURPLE", "RED", "ROSE", "SILVER",
    "TEAL", "VIOLET", "WHITE", "YELLOW",
)  # fmt: skip


ATTACHMENT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
ATTACHMENT_NAME_RULE = "must start with a letter and contain only A-Z, 0-9 and _"


def attachment_name_free(call, app_id, name, service):
    """Unused as an attachment name on the app, and its vars clash with no existing var."""
    if call.store.first("attachments", app_id=app_id, name=name):
        return False
    wanted = {name + suffix for suffix in catalog.SERVICES[service]["vars"]}
    taken = set(plain_config(call, app_id)) | attachment_var_names(call, app_id)
    return not (wanted & taken)


def choose_attachment_name(call, app, service, requested):
    """The requested name (refused if taken), else the service's default, else a colour name."""
    if requested:
        if not ATTACHMENT_NAME.match(requested):
            raise invalid_params(f"Invalid attachment name {requested}: {ATTACHMENT_NAME_RULE}.")
        if not attachment_name_free(call, app["id"], requested, service):
            raise invalid_params(
                f"Name {requested} is already used by an attachment or config var on "
                f"{app['name']}. Choose another attachment name."
            )
        return requested
    default = catalog.SERVICES[service]["attachment"]
    if attachment_name_free(call, app["id"], default, service):
        return default
    kind = f"HEROKU_{catalog.SERVICES[service]['prefix'].upper()}"
    free = [c for c in COLORS if attachment_name_free(call, app["id"], f"{kind}_{c}", service)]
    if not free:
        raise invalid_params(f"No free attachment name left for {service} on {app['name']}.")
    return f"{kind}_{random.choice(free)}"


def attach(call, addon, app, name, namespace=None):
    """Attach an add-on to an app under `name` and release the app, as Heroku does."""
    now = call.now()
    attachment = call.store.insert(
        "attachments",
        {
            "app_id": app["id"],
            "addon_id": addon["id"],
            "name": name,
            "namespace": namespace,
            "created_at": now,
            "updated_at": now,
        },
    )
    create_release(call, app, f"Attach {name} (@ref:{addon['name']})")
    return attachment


def detach(call, attachment):
    addon = call.store.get("addons", attachment["addon_id"])
    call.store.remove("attachments", attachment["id"])
    app = call.store.get("apps", attachment["app_id"])
    if app is not None:
        create_release(call, app, f"Detach {attachment['name']} (@ref:{addon['name']})")
