"""What the emulated Heroku offers: regions, stacks, dyno sizes, add-on services and plans.

Names follow Heroku today. Retired names that older runbooks still use (postgres mini/basic/
hobby-dev, hobby/free dynos, the heroku-20 stack) are listed so they can be refused with a
clear message, as Heroku refuses them.
"""

import uuid

NAMESPACE = uuid.UUID("7b0b5b57-7a4f-4d5e-9c2e-3f0e8b6a1c11")


def fixed_id(kind, name):
    """A stable id for catalog entries, so ids survive restarts and state files."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


REGIONS = {
    "us": {
        "description": "United States",
        "country": "United States",
        "locale": "Virginia",
        "provider": {"name": "amazon-web-services", "region": "us-east-1"},
    },
    "eu": {
        "description": "Europe",
        "country": "Ireland",
        "locale": "Dublin",
        "provider": {"name": "amazon-web-services", "region": "eu-west-1"},
    },
}

STACKS = {
    "heroku-24": {"state": "public", "default": True},
    "heroku-22": {"state": "public", "default": False},
    "container": {"state": "public", "default": False},
}
RETIRED_STACKS = {
    "heroku-20": "heroku-20 reached end of life on 2025-04-30; use heroku-24 or heroku-22.",
    "heroku-18": "heroku-18 reached end of life; use heroku-24 or heroku-22.",
    "cedar-14": "cedar-14 reached end of life; use heroku-24 or heroku-22.",
}
DEFAULT_STACK = "heroku-24"

# name: (memory GB, compute units, cost cents per month, dedicated)
DYNO_SIZES = {
    "eco": (0.5, 1, 500, False),
    "basic": (0.5, 1, 700, False),
    "standard-1x": (0.5, 1, 2500, False),
    "standard-2x": (1.0, 2, 5000, False),
    "performance-m": (2.5, 12, 25000, True),
    "performance-l": (14.0, 50, 50000, True),
    "performance-l-ram": (30.0, 24, 50000, True),
    "performance-xl": (62.0, 50, 75000, True),
    "performance-2xl": (126.0, 100, 150000, True),
}
RETIRED_DYNO_SIZES = {
    "free": "Free dynos are no longer available (retired 2022-11-28); use eco or basic.",
    "hobby": "Hobby dynos are no longer available (retired 2022-11-28); use basic.",
}


def canonical_dyno_size(name):
    """Heroku accepts Standard-1X and standard-1x alike."""
    return (name or "").lower()


# Add-on services. `attachment` is the default attachment name; each suffix in `vars`
# becomes `<ATTACHMENT><suffix>` on every app the add-on is attached to.
SERVICES = {
    "heroku-postgresql": {
        "human_name": "Heroku Postgres",
        "prefix": "postgresql",
        "attachment": "DATABASE",
        "vars": ["_URL"],
        "data": True,
        "plans": {
            "essential-0": 500,
            "essential-1": 900,
            "essential-2": 2000,
            "standard-0": 5000,
            "standard-2": 20000,
            "premium-0": 20000,
        },
        "retired": {
            "hobby-dev": "essential-0",
            "hobby-basic": "essential-0",
            "mini": "essential-0",
            "basic": "essential-1",
            "dev": "essential-0",
        },
    },
    "heroku-redis": {
        "human_name": "Heroku Key-Value Store",
        "prefix": "redis",
        "attachment": "REDIS",
        "vars": ["_URL", "_TLS_URL"],
        "data": True,
        "plans": {"mini": 300, "premium-0": 1500, "premium-1": 3000, "premium-2": 6000},
        "retired": {"hobby-dev": "mini"},
    },
    "heroku-kafka": {
        "human_name": "Apache Kafka on Heroku",
        "prefix": "kafka",
        "attachment": "KAFKA",
        "vars": ["_URL", "_CLIENT_CERT", "_CLIENT_CERT_KEY", "_TRUSTED_CERT"],
        "data": True,
        "plans": {"basic-0": 10000, "standard-0": 100000},
        "retired": {},
    },
    "papertrail": {
        "human_name": "Papertrail",
        "prefix": "papertrail",
        "attachment": "PAPERTRAIL",
        "vars": ["_API_TOKEN"],
        "data": False,
        "plans": {"choklad": 0, "fixa": 700, "volmar": 1400},
        "retired": {},
    },
    "newrelic": {
        "human_name": "New Relic APM",
        "prefix": "newrelic",
        "attachment": "NEW_RELIC",
        "vars": ["_LICENSE_KEY", "_LOG"],
        "data": False,
        "plans": {"wayne": 0},
        "retired": {},
    },
    "scheduler": {
        "human_name": "Heroku Scheduler",
        "prefix": "scheduler",
        "attachment": "SCHEDULER",
        "vars": [],
        "data": False,
        "plans": {"standard": 0},
        "retired": {},
    },
}


def plan_id(service, plan):
    return fixed_id("plan", f"{service}:{plan}")


def service_id(service):
    return fixed_id("service", service)
