"""The emulator's resource modules are named after the schema's resource groups, so a reader
finds the handler of a link (definition, title) in resources/<definition>.py.

A few closely related definitions share their group's module (app-webhook-delivery in
app_webhook.py); such a module lists every definition it serves at the start of its
docstring: "app-webhook, app-webhook-delivery, app-webhook-event: ...".
"""

import importlib
import json

from heroku_emulator import resources
from heroku_emulator.schema import find_schema_file


def module_of(function):
    return function.__module__.rsplit(".", 1)[1]


def served_definitions(module):
    """The definitions a module's docstring says it serves (the text before the first colon)."""
    doc = importlib.import_module(f"{resources.__name__}.{module}").__doc__ or ""
    head = doc.split(":", 1)[0] if ":" in doc else ""
    return [name.strip() for name in head.split(",")]


def test_every_module_starts_its_docstring_with_its_own_definition():
    for module in resources.resource_modules():
        assert served_definitions(module)[0] == module.replace("_", "-"), module


def test_every_handler_lives_in_its_definitions_module_or_one_that_lists_it():
    resources.load_all()
    misplaced = sorted(
        f"{definition} {title}: in {module_of(function)}.py"
        for (definition, title), function in resources.HANDLERS.items()
        if definition not in served_definitions(module_of(function))
    )
    assert misplaced == []


def test_a_definition_with_its_own_module_is_served_only_there():
    modules = resources.resource_modules()
    owners = {}
    for module in modules:
        for definition in served_definitions(module):
            owners.setdefault(definition, []).append(module)
    shared_out = {d: m for d, m in owners.items() if len(m) > 1}
    assert shared_out == {}


def test_every_resource_module_is_a_schema_definition_with_handlers():
    resources.load_all()
    definitions = set(json.loads(find_schema_file().read_text())["definitions"])
    with_handlers = {module_of(function) for function in resources.HANDLERS.values()}
    modules = set(resources.resource_modules())
    assert sorted(m for m in modules if m.replace("_", "-") not in definitions) == []
    assert sorted(modules - with_handlers) == []
    listed = {d for module in modules for d in served_definitions(module)}
    assert sorted(listed - definitions) == []
