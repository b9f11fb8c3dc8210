# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each app costs a month: as it runs now, and as its declared add-ons and formation
would make it.

Prices come only from the API: ``/dyno-sizes`` (read once) for dynos, an add-on's
``billed_price`` for what it is billed now, and ``/addon-services/{service}/plans/{plan}``
(each plan once) for a declared plan. Only add-ons an app owns are billed to it: one attached
from another app is billed to its owner. Reads only, all at once; the computation
(``app_cost``, ``cost_totals``) is pure.

"Declared" is what a converge by the app module would leave, which manages only the parts it
is given: an app without ``addons`` (``formation``) keeps the add-ons (formation) it has,
undeclared add-ons and process types are left as they are, and a declared entry without a
quantity or size keeps the current one.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.herokuops.platform.plugins.module_utils._addons import (
    addon_plan,
    normalize_addon_spec,
    owner_name,
    plan_addons,
    service_of,
)
from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    HerokuApiError,
    api_path,
)
from ansible_collections.herokuops.platform.plugins.module_utils._formation import (
    current_size,
    normalize_formation,
)

READ_WORKERS = 8  # requests in flight at once
CURRENCY_UNIT = "month"


def with_app(error, name):
    """The shared checks name the field; say which app it belongs to as well."""
    return ValueError(f"{str(error).rstrip('.')} (app {name}).")


# -- input -----------------------------------------------------------------------------------
def check_apps(apps):
    """The ``apps`` option checked before any read: a list of {index, name, environment,
    addons (raw list or None), formation ({type: {quantity, size}} or None)}."""
    checked = []
    seen = {}
    for index, raw in enumerate(apps or []):
        field = f"apps[{index}]"
        if not isinstance(raw, dict):
            raise ValueError(
                f"{field}: must be a mapping with name, environment, addons and formation."
            )
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{field}.name: the app's name is required.")
        name = name.strip()
        if name in seen:
            raise ValueError(f"{field}.name: app {name} is already listed as apps[{seen[name]}].")
        seen[name] = index
        addons = raw.get("addons")
        if addons is not None:
            if not isinstance(addons, list):
                raise ValueError(
                    f"{field}.addons: must be a list of plans or mappings with plan (app {name})."
                )
            for position, item in enumerate(addons):
                try:
                    normalize_addon_spec(item, name, f"{field}.addons[{position}].")
                except ValueError as error:
                    raise with_app(error, name) from None
        formation = raw.get("formation")
        if formation is not None:
            try:
                formation = normalize_formation(formation, f"{field}.formation")
            except ValueError as error:
                raise with_app(error, name) from None
        environment = raw.get("environment")
        checked.append(
            {
                "index": index,
                "name": name,
                "environment": None if environment is None else str(environment),
                "addons": addons,
                "formation": formation,
            }
        )
    return checked


def declared_plans(apps):
    """{plan: (app, field)}: each plan a present add-on declares, with its first declaration."""
    plans = {}
    for app in apps:
        for position, item in enumerate(app["addons"] or []):
            label = f"apps[{app['index']}].addons[{position}]."
            spec = normalize_addon_spec(item, app["name"], label)
            if spec["state"] == "present":
                plans.setdefault(spec["plan"], (app["name"], f"{label}plan"))
    return plans


# -- prices from the API ---------------------------------------------------------------------
def price_of(price, what, warnings):
    """Cents a month of a price object ({cents, unit, contract}); None when there is none."""
    if not price or price.get("cents") is None:
        return None
    unit = price.get("unit") or CURRENCY_UNIT
    if unit != CURRENCY_UNIT:
        warnings.append(f"{what} is priced per {unit}, not per month; counted as a month.")
    if price.get("contract"):
        warnings.append(
            f"{what} is priced by a contract outside monthly billing; counted at "
            f"{price['cents']} cents."
        )
    return int(price["cents"])


def size_costs(sizes):
    """{size name: cents a month, or None when the API gives none} from ``/dyno-sizes``."""
    return {
        str(size.get("name", "")).lower(): (size.get("cost") or {}).get("cents") for size in sizes
    }


def read_plan(client, plan):
    """The plan as the API describes it, or None when Heroku does not offer it."""
    path = api_path("addon-services", service_of(plan), "plans", plan)
    try:
        return client.get_or_none(path)
    except HerokuApiError as error:
        if error.status in (400, 422):
            return None
        raise


def read_owned_part(client, app, part):
    """``/apps/{app}/{part}`` as a list, or None when Heroku does not know the app."""
    try:
        return client.get_all(api_path("apps", app, part))
    except HerokuApiError as error:
        if error.status == 404:
            return None
        raise


# -- the computation (pure) ------------------------------------------------------------------
def owned_addons(app_name, addons):
    """Add-ons billed to this app: attachments of another app's add-ons are its owner's."""
    return [addon for addon in addons if owner_name(addon) == app_name]


def unpriced_now(apps_current):
    """Plans of owned add-ons without a ``billed_price``, to be priced from the plan."""
    plans = set()
    for name, current in apps_current.items():
        for addon in owned_addons(name, current["addons"]):
            if not addon.get("billed_price"):
                plans.add(addon_plan(addon))
    return plans


def addon_now(addon, app, plan_prices, warnings):
    plan = addon_plan(addon)
    what = f"add-on {addon.get('name')} ({plan}) of app {app['name']}"
    cents = price_of(addon.get("billed_price"), what, warnings)
    if cents is None:
        if plan_prices.get(plan) is None:
            raise ValueError(
                f"apps[{app['index']}]: app {app['name']} has add-on {addon.get('name')} on plan "
                f"{plan!r}, which the API gives no price for."
            )
        cents = plan_prices[plan]
    return {"name": addon.get("name"), "plan": plan, "cents": cents}


def dyno_entry(process_type, quantity, size, sizes, app, warnings, *, declared=False):
    """One process type's cost: ``quantity`` dynos of ``size`` all month. A declared size
    must exist even at quantity 0; a size running nowhere is not checked."""
    quantity = quantity or 0
    if size not in sizes and ((declared and size) or quantity):
        label = f"apps[{app['index']}].formation.{process_type}.size"
        state = "declares" if declared else "runs"
        raise ValueError(
            f"{label}: app {app['name']} {state} dyno size {size!r}, which the API does not "
            f"list; it lists {', '.join(sorted(sizes))}."
        )
    each = sizes.get(size) if quantity else 0
    if each is None:
        warnings.append(f"dyno size {size} has no price in the API; counted as 0.")
        each = 0
    return {"type": process_type, "quantity": quantity, "size": size, "cents": quantity * each}


def with_total(addons, dynos):
    cents = sum(item["cents"] for item in addons) + sum(item["cents"] for item in dynos)
    return {"addons": addons, "dynos": dynos, "cents": cents}


def app_cost(app, current, plan_prices, sizes, warnings):
    """The app's entry: ``now`` from what the API returned (``current`` is None for an app
    Heroku does not know), ``declared`` as a converge would leave it.

    ``plan_prices``: {plan: cents}, every declared plan and every unbilled current one;
    ``sizes``: from ``size_costs``. Raises ValueError naming the field and the app.
    """
    name, index = app["name"], app["index"]
    field = f"apps[{index}]"
    exists = current is not None
    current = current or {"addons": [], "formation": []}

    owned = owned_addons(name, current["addons"])
    now_addons = [addon_now(addon, app, plan_prices, warnings) for addon in owned]
    formation = sorted(current["formation"], key=lambda entry: entry.get("type", ""))
    running = {
        entry["type"]: {"quantity": entry.get("quantity") or 0, "size": current_size(entry)}
        for entry in formation
    }
    now_dynos = [
        dyno_entry(kind, have["quantity"], have["size"], sizes, app, warnings)
        for kind, have in running.items()
    ]

    if app["addons"] is None:
        declared_addons = list(now_addons)
    else:
        try:
            steps = plan_addons(owned, app["addons"], name, field_prefix=f"{field}.addons")
        except ValueError as error:
            raise with_app(error, name) from None
        kept = {id(addon): entry for addon, entry in zip(owned, now_addons, strict=True)}
        declared_addons = []
        for step in steps:
            matched = step["addon"]
            if matched is not None:
                kept_entry = kept.pop(id(matched))
                if step["action"] == "none":  # the same add-on, billed as it is now
                    declared_addons.append(kept_entry)
                    continue
            if step["spec"]["state"] == "present":
                plan = step["spec"]["plan"]
                declared_addons.append(
                    {"name": step["spec"]["name"], "plan": plan, "cents": plan_prices[plan]}
                )
        declared_addons.extend(kept.values())  # undeclared add-ons are left alone

    if app["formation"] is None:
        declared_dynos = list(now_dynos)
    else:
        wanted = {kind: dict(have) for kind, have in running.items()}
        for kind, spec in app["formation"].items():
            have = running.get(kind, {})
            quantity = spec["quantity"] if spec["quantity"] is not None else have.get("quantity")
            size = spec["size"] or have.get("size")
            if quantity and not size:
                raise ValueError(
                    f"{field}.formation.{kind}.size: app {name} runs no {kind} dynos yet, so "
                    "their size is unknown; declare the size."
                )
            wanted[kind] = {"quantity": quantity or 0, "size": size}
        declared_dynos = [
            dyno_entry(
                kind,
                wanted[kind]["quantity"],
                wanted[kind]["size"],
                sizes,
                app,
                warnings,
                declared=kind in app["formation"],
            )
            for kind in sorted(wanted)
        ]

    return {
        "name": name,
        "environment": app["environment"],
        "exists": exists,
        "now": with_total(now_addons, now_dynos),
        "declared": with_total(declared_addons, declared_dynos),
    }


def cost_totals(entries):
    """(per environment in first-seen order, overall): apps, now and declared cents."""
    environments = {}
    for entry in entries:
        group = environments.setdefault(
            entry["environment"],
            {"environment": entry["environment"], "apps": [], "now_cents": 0, "declared_cents": 0},
        )
        group["apps"].append(entry["name"])
        group["now_cents"] += entry["now"]["cents"]
        group["declared_cents"] += entry["declared"]["cents"]
    total = {
        "now_cents": sum(entry["now"]["cents"] for entry in entries),
        "declared_cents": sum(entry["declared"]["cents"] for entry in entries),
    }
    return list(environments.values()), total


# -- the run ---------------------------------------------------------------------------------
def price_plans(client, pool, plans, warnings):
    """{plan: cents or None (not offered)} for ``plans`` ({plan: what to call it}), at once."""
    futures = {plan: pool.submit(read_plan, client, plan) for plan in plans}
    prices = {}
    for plan, future in futures.items():
        found = future.result()
        if found is not None:
            found = price_of(found.get("price"), plans[plan], warnings)
        prices[plan] = found
    return prices


def read_costs(client, apps):
    """The module's result (without ``changed``) and its warnings, for the ``apps`` option."""
    checked = check_apps(apps)
    plans = declared_plans(checked)
    warnings = []
    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
        sizes = pool.submit(client.get_all, "/dyno-sizes")
        parts = {
            app["name"]: {
                part: pool.submit(read_owned_part, client, app["name"], part)
                for part in ("addons", "formation")
            }
            for app in checked
        }
        plan_prices = price_plans(client, pool, {plan: f"plan {plan}" for plan in plans}, warnings)
        for plan, (app_name, field) in plans.items():
            if plan_prices[plan] is None:
                raise ValueError(
                    f"{field}: app {app_name} declares {plan!r}, which is not an available "
                    "add-on plan (unknown or retired) or has no price."
                )
        currents = {}
        for name, futures in parts.items():
            addons, formation = futures["addons"].result(), futures["formation"].result()
            exists = addons is not None and formation is not None
            currents[name] = {"addons": addons, "formation": formation} if exists else None
        unbilled = unpriced_now({name: c for name, c in currents.items() if c}) - set(plan_prices)
        plan_prices.update(
            price_plans(client, pool, {plan: f"plan {plan}" for plan in sorted(unbilled)}, warnings)
        )
        dyno_sizes = size_costs(sizes.result())
    entries = [
        app_cost(app, currents[app["name"]], plan_prices, dyno_sizes, warnings) for app in checked
    ]
    environments, total = cost_totals(entries)
    result = {
        "currency_unit": CURRENCY_UNIT,
        "apps": entries,
        "environments": environments,
        "total": total,
    }
    return result, list(dict.fromkeys(warnings))
