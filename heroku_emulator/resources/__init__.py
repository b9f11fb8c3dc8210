"""Handlers for the schema's links, registered by (definition, link title).

Each module is named after the schema definition (resource group) it serves, and its
docstring starts with the definitions it serves: the handlers of ``app-webhook`` links are in
``app_webhook.py``, which serves the closely related ``app-webhook-delivery`` too. Rules
several resources share are in ``heroku_emulator/shared.py``.

A module decorates its functions with ``@handles("app", "Create")``. A handler takes a
:class:`heroku_emulator.server.Call` and returns a body, ``(status, body)`` or
``(status, body, extra response headers)``. Links of the schema without a handler answer 404
like an unknown endpoint.
"""

import importlib
import pkgutil

HANDLERS = {}
# Endpoints that clients call but the published schema does not list: (method, regex, handler).
EXTRA_ROUTES = []
# Output streams the emulator serves itself where Heroku uses other hosts (release-output,
# build-output, logplex): (regex, handler); a handler returns streams.text_stream(...).
STREAM_ROUTES = []


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


def stream_route(pattern):
    def register(function):
        STREAM_ROUTES.append((pattern, function))
        return function

    return register


def resource_modules():
    """Every module of this package: one per resource group of the schema, named after it."""
    return sorted(info.name for info in pkgutil.iter_modules(__path__))


def load_all():
    for name in resource_modules():
        importlib.import_module(f"{__name__}.{name}")
