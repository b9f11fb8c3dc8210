"""Handlers for the schema's links, registered by (definition, link title).

Each resource module decorates its functions with ``@handles("app", "Create")``. A handler
takes a :class:`heroku_emulator.server.Call` and returns a body, or ``(status, body)``.
Links of the schema without a handler answer 404 like an unknown endpoint.
"""

import importlib

HANDLERS = {}
# Endpoints that clients call but the published schema does not list: (method, regex, handler).
EXTRA_ROUTES = []

MODULES = ("platform", "apps", "addons", "deploys", "extras", "pipelines")


def handles(definition, title):
    def register(function):
        HANDLERS[(definition, title)] = function
        return function

    return register


def extra_route(method, pattern):
    def register(function):
        EXTRA_ROUTES.append((method, pattern, function))
        return function

    return register


def load_all():
    for name in MODULES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
