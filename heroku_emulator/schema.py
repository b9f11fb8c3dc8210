"""Heroku's published hyper-schema: routes, request validation and response validation."""

import json
import os
import re
from pathlib import Path
from urllib.parse import unquote

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA_ENV = "HEROKU_EMULATOR_SCHEMA"
SCHEMA_RELATIVE = Path("shared") / "heroku" / "platform-api-schema.json"
BASE_URI = "urn:heroku-platform-api"
_PARAM = re.compile(r"\{\([^)]*\)\}")
# Where Heroku accepts (or answers) more than its published schema says and the official CLI
# relies on it, the schema is widened before any validator is built (see accept_unpublished).
INTEGER_STRING = {"type": ["string"], "pattern": r"^\s*-?[0-9]+\s*$"}
NULL = {"type": ["null"]}


def link_schema(document, definition, title):
    for link in document["definitions"][definition]["links"]:
        if link["title"] == title:
            return link["schema"]
    raise KeyError(f"{definition} {title}")


def either(ref, alternative):
    return {"anyOf": [{"$ref": ref}, alternative]}


def accept_unpublished(document):
    """Widen the schemas where Heroku takes (or answers) more than it publishes."""
    formation = document["definitions"]["formation"]["definitions"]
    quantity = "#/definitions/formation/definitions/quantity"
    batch_item = formation["update"]["properties"]
    # ps:scale and ps:type send the deprecated `size` in formation batch updates.
    batch_item.setdefault("size", {"$ref": "#/definitions/formation/definitions/size"})
    # ps:scale sends quantities as strings ("web=2" becomes "2"); Heroku takes whole numbers.
    batch_item["quantity"] = either(quantity, INTEGER_STRING)
    link_schema(document, "formation", "Update")["properties"]["quantity"] = either(
        quantity, INTEGER_STRING
    )
    # addons:info NAME and addons:wait NAME without --app resolve with "app": null.
    for definition in ("add-on", "add-on-attachment"):
        properties = link_schema(document, definition, "Resolution")["properties"]
        properties["app"] = either("#/definitions/app/definitions/name", NULL)
    # addons:rename PATCHes the add-on with its new name only.
    link_schema(document, "add-on", "Update").pop("required", None)
    # A member added as `viewer` (a role team-member requests accept) is answered as one;
    # the published response enum of team roles leaves it out.
    role = document["definitions"]["team"]["definitions"]["role"]
    role["enum"] = [*role["enum"], "viewer"]
    # authorizations:create sends no scope unless --scope is given (Heroku grants `global`)
    # and --expires-in as a string.
    authorization = link_schema(document, "oauth-authorization", "Create")
    authorization.pop("required", None)
    authorization["properties"]["expires_in"] = either(
        "#/definitions/oauth-token/definitions/expires_in", INTEGER_STRING
    )


def find_schema_file(explicit=None):
    """The schema path: --schema, $HEROKU_EMULATOR_SCHEMA, else ../shared beside the checkout."""
    if explicit:
        return Path(explicit)
    if os.environ.get(SCHEMA_ENV):
        return Path(os.environ[SCHEMA_ENV])
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            candidate = folder / SCHEMA_RELATIVE
            if candidate.is_file():
                return candidate
    raise FileNotFoundError(
        f"Heroku's platform-api-schema.json not found: pass --schema or set {SCHEMA_ENV}"
    )


class Link:
    """One link of one definition, e.g. ('app', 'Create'): POST /apps."""

    def __init__(self, definition, index, raw):
        self.definition = definition
        self.index = index
        self.title = raw["title"]
        self.method = raw["method"].upper()
        self.href = raw["href"]
        self.rel = raw.get("rel")
        self.has_schema = "schema" in raw
        self.target_schema = raw.get("targetSchema")
        literal = _PARAM.split(self.href)
        self.pattern = re.compile(
            "^" + "([^/]+)".join(re.escape(unquote(part)) for part in literal) + "/?$"
        )
        # More literal characters first, so /apps/~/x beats /apps/{id}/x.
        self.specificity = sum(len(part) for part in literal)
        self.request_validator = None
        self.published_request_validator = None
        self.response_validator = None

    @property
    def key(self):
        return (self.definition, self.title)

    @property
    def returns_list(self):
        target = self.target_schema or {}
        return "array" in (target.get("type") or [])

    def __repr__(self):
        return f"<Link {self.definition}:{self.title} {self.method} {self.href}>"


class Schema:
    def __init__(self, path):
        self.path = Path(path)
        text = self.path.read_text()
        self.document = json.loads(text)
        accept_unpublished(self.document)
        resource = Resource.from_contents(self.document, default_specification=DRAFT4)
        self._registry = Registry().with_resource(BASE_URI, resource)
        # The schema as published: a request it refuses but the widened one takes is accepted
        # and marked, so tests can hold our own modules to what Heroku publishes.
        published = Resource.from_contents(json.loads(text), default_specification=DRAFT4)
        published_registry = Registry().with_resource(BASE_URI, published)
        self.links = []
        for name, definition in self.document["definitions"].items():
            for index, raw in enumerate(definition.get("links", [])):
                link = Link(name, index, raw)
                pointer = f"{BASE_URI}#/definitions/{name}/links/{index}"
                if link.has_schema:
                    link.request_validator = self._validator(pointer + "/schema")
                    link.published_request_validator = Draft4Validator(
                        {"$ref": pointer + "/schema"}, registry=published_registry
                    )
                if link.target_schema is not None:
                    link.response_validator = self._validator(pointer + "/targetSchema")
                self.links.append(link)
        self.links.sort(key=lambda link: -link.specificity)
        self.by_key = {}
        for link in self.links:
            self.by_key.setdefault(link.key, link)

    def _validator(self, ref):
        return Draft4Validator({"$ref": ref}, registry=self._registry)

    def candidates(self, method, path, implemented):
        """Implemented links matching method and path (most specific first), with path params.

        The second value says whether some implemented link has this path with another method.
        """
        found = []
        path_matched = False
        for link in self.links:
            if link.key not in implemented:
                continue
            match = link.pattern.match(path)
            if not match:
                continue
            path_matched = True
            if link.method == method:
                found.append((link, [unquote(value) for value in match.groups()]))
        if found:
            best = found[0][0].specificity
            found = [item for item in found if item[0].specificity == best]
        return found, path_matched

    def definition(self, name):
        return self.document["definitions"][name]


def describe_error(error):
    """A validation error as one sentence that names the offending field."""
    where = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        return f"Missing required params: {error.message.split(chr(39))[1]}."
    if error.validator == "additionalProperties" and not where:
        return f"Invalid params: {error.message}."
    if where:
        return f"Invalid {where}: {error.message}."
    return f"Invalid params: {error.message}."


def first_error(validator, instance):
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return errors[0] if errors else None
