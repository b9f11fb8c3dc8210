# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: drift_rows
short_description: What a check-mode converge would change, as one row per difference
version_added: 0.1.0
description:
  - Reads the C(diff) of results registered from a check-mode, diff-mode run of
    M(herokuops.platform.app) or M(herokuops.platform.addon_attachment) (a single result, a loop's
    result, or a list of them) and returns one row per difference with the app, the part of the
    app (C(config_vars), C(formation), C(buildpacks), C(addons), C(domains), C(attachments), ...)
    and a short description of what differs, from what Heroku has now to what is declared.
  - "For example C(LOG_LEVEL: DEBUG -> INFO), C(web: 1 x basic -> 2 x standard-2x) or
    C(buildpack heroku-community/apt missing)."
  - Only what the modules put in their diffs is shown. Their diffs already mask every secret, so a
    secret is reported as C(value differs (sensitive)) and never shown; plain values are shown.
  - An app that does not exist is one row, C(app missing (would be created)); its parts are not
    listed one by one.
  - A result that did not change is no drift, whatever its diff shows.
  - A result that failed, or that changed without a diff (run without diff mode), is an error,
    never an empty list, so a run that could not compare is never mistaken for no drift.
author:
  - herokuops maintainers (@herokuops)
positional: _input, app
options:
  _input:
    description: A registered result, a registered loop result, or a list of them.
    type: raw
    required: true
  app:
    description: The app the results are about, named in every row.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Converge in check mode
  herokuops.platform.app:
    name: cashbot
    config_vars: {LOG_LEVEL: INFO}
  check_mode: true
  diff: true
  register: heroku_app_result

- name: Show what differs
  ansible.builtin.debug:
    msg: "{{ heroku_app_result | herokuops.platform.drift_rows('cashbot') }}"
"""

RETURN = r"""
_value:
  description: One mapping per difference, with C(app), C(part) and C(what).
  type: list
  elements: dict
  sample:
    - app: cashbot
      part: config_vars
      what: "LOG_LEVEL: DEBUG -> INFO"
    - app: cashbot
      part: config_vars
      what: "TELEGRAM_BOT_TOKEN: value differs (sensitive)"
    - app: cashbot
      part: buildpacks
      what: buildpack heroku-community/apt missing
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# The modules' mask for a secret ("********", "******** (changed)").
MASK = "********"
# Diff headers read "<part title> of <app>"; the titles that do not spell the part's name.
PART_BY_TITLE = {"app settings": "app", "add-ons": "addons"}
# How one entry (list) or key (mapping) of a part is introduced, where its name alone is unclear.
ENTRY_NOUNS = {
    "addons": "add-on",
    "attachments": "attachment",
    "buildpacks": "buildpack",
    "collaborators": "collaborator",
    "domains": "domain",
    "features": "feature",
    "log_drains": "log drain",
    "webhooks": "webhook",
}


def show(value):
    """A value as the report shows it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={show(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(show(item) for item in value)
    return str(value)


def show_entry(part, value):
    """A value of one entry of a part, worded for that part where it reads better."""
    if part == "formation" and isinstance(value, Mapping):
        return f"{value.get('quantity')} x {value.get('size')}"
    if part == "attachments" and isinstance(value, Mapping):
        return f"{value.get('addon')} as {value.get('name')}"
    return show(value)


def is_masked(value):
    return isinstance(value, str) and value.startswith(MASK)


def has_masked(value):
    if isinstance(value, Mapping):
        return any(has_masked(item) for item in value.values())
    if isinstance(value, list):
        return any(has_masked(item) for item in value)
    return is_masked(value)


def part_of(diff):
    header = str(diff.get("after_header") or diff.get("before_header") or "")
    # "<title> of <app>"; a pipeline's own header is "pipeline <name>".
    title = header.split(" of ", 1)[0] if " of " in header else header.split(" ", 1)[0]
    title = title.strip()
    return PART_BY_TITLE.get(title, title.replace("-", "").replace(" ", "_") or "unknown")


def unwrap(part, view):
    """A part's view without the one key some parts wrap it in ({"buildpacks": [...]})."""
    if isinstance(view, Mapping) and list(view) == [part]:
        return view[part]
    return view


def change(part, old, new):
    """How one value differs; masked values are never shown, only said to differ."""
    if part != "formation" and isinstance(old, Mapping) and isinstance(new, Mapping):
        return "; ".join(
            f"{field} {change(part, old.get(field), new.get(field))}"
            for field in [*new, *(field for field in old if field not in new)]
            if old.get(field) != new.get(field)
        )
    if has_masked(old) or has_masked(new):
        return "value differs (sensitive)"
    return f"{show_entry(part, old)} -> {show_entry(part, new)}"


def describe_mappings(part, before, after):
    """Differences between two mappings, key by key."""
    noun = ENTRY_NOUNS.get(part)
    found = []
    for key in [*after, *(key for key in before if key not in after)]:
        label = f"{noun} {key}" if noun else str(key)
        if key in before and key in after:
            if before[key] != after[key]:
                found.append(f"{label}: {change(part, before[key], after[key])}")
        elif key in before:
            found.append(f"{label} not declared (would be removed)")
        elif has_masked(after[key]):
            found.append(f"{label} missing (sensitive)")
        elif part == "addons":
            # A new add-on's key is "<service> (new)" unless the add-on is named.
            named = "" if str(key).endswith("(new)") else f" as {key}"
            found.append(f"{noun} {show(after[key])}{named} missing")
        elif isinstance(after[key], (Mapping, list)) and part != "formation":
            found.append(f"{label} missing")
        else:
            found.append(f"{label} missing (declared: {show_entry(part, after[key])})")
    return found


def describe_lists(part, before, after):
    """Differences between two lists, entry by entry; then their order."""
    noun = ENTRY_NOUNS.get(part, "entry")
    found = [f"{noun} {show_entry(part, entry)} missing" for entry in after if entry not in before]
    found += [
        f"{noun} {show_entry(part, entry)} not declared (would be removed)"
        for entry in before
        if entry not in after
    ]
    if not found and before != after:
        old = ", ".join(show_entry(part, entry) for entry in before)
        new = ", ".join(show_entry(part, entry) for entry in after)
        found.append(f"order: {old} -> {new}")
    return found


def describe(part, before, after):
    """What differs between one part's before (Heroku) and after (declared) views."""
    if part == "app" and not before and after:
        return ["app missing (would be created)"]
    if part == "app" and before and not after:
        return ["app exists (would be deleted)"]
    if part == "pipeline" and not before and after:
        return ["pipeline missing (would be created)"]
    if part == "pipeline_coupling" and not before and after:
        return [f"not in pipeline {after.get('pipeline')} (declared at stage {after.get('stage')})"]
    before, after = unwrap(part, before), unwrap(part, after)
    if isinstance(before, Mapping) or isinstance(after, Mapping):
        found = describe_mappings(part, before or {}, after or {})
    elif isinstance(before, list) or isinstance(after, list):
        found = describe_lists(part, before or [], after or [])
    elif before != after:
        shown = has_masked(before) or has_masked(after)
        found = ["value differs (sensitive)" if shown else f"{show(before)} -> {show(after)}"]
    else:
        found = []
    # A part a module reports changed is drift even when its views show nothing more.
    return found or ["differs"]


def results_of(value):
    """Every module result in a registered result, a loop's result or a list of them."""
    if isinstance(value, list):
        for item in value:
            yield from results_of(item)
    elif isinstance(value, Mapping):
        if isinstance(value.get("results"), list):
            yield from results_of(value["results"])
        else:
            yield value
    elif value is not None:
        raise AnsibleFilterError(f"drift_rows: expected registered results, got {type(value)}")


def drift_rows(value, app):
    """[{app, part, what}] for every difference the results' diffs show (see DOCUMENTATION)."""
    rows = []
    for result in results_of(value):
        if result.get("failed"):
            raise AnsibleFilterError(
                f"drift_rows: {app} could not be compared: {result.get('msg')}"
            )
        if not result.get("changed"):
            continue  # some modules return their diff (before == after) when nothing differs
        diffs = result.get("diff") or []
        if isinstance(diffs, Mapping):
            diffs = [diffs]
        if not diffs:
            raise AnsibleFilterError(
                f"drift_rows: a result for {app} changed but carries no diff; run with diff mode"
            )
        # An app that would be created: its parts would be too, and need no row each.
        created = [d for d in diffs if part_of(d) == "app" and not d.get("before")]
        rows.extend(
            {"app": app, "part": part_of(diff), "what": what}
            for diff in created or diffs
            for what in describe(part_of(diff), diff.get("before"), diff.get("after"))
        )
    return rows


class FilterModule:
    def filters(self):
        return {"drift_rows": drift_rows}
