"""In-memory state of the emulated account, optionally persisted to a JSON file."""

import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime


def new_id():
    return str(uuid.uuid4())


class Clock:
    """Wall time plus an offset that tests may advance (POST /__emulator/time)."""

    def __init__(self):
        self.offset = 0.0

    def now(self):
        return time.time() + self.offset

    def iso(self, epoch=None):
        moment = datetime.fromtimestamp(self.now() if epoch is None else epoch, tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """Tables of JSON records keyed by id; records are plain dicts so the state serialises."""

    def __init__(self, path=None):
        self.path = path
        self.tables = {}
        self.counters = {}
        if path and os.path.exists(path):
            with open(path) as handle:
                saved = json.load(handle)
            self.tables = saved.get("tables", {})
            self.counters = saved.get("counters", {})

    def reset(self):
        self.tables = {}
        self.counters = {}
        self.save()

    def table(self, name):
        return self.tables.setdefault(name, {})

    def insert(self, table, record):
        record.setdefault("id", new_id())
        self.table(table)[record["id"]] = record
        return record

    def get(self, table, record_id):
        return self.table(table).get(record_id)

    def all(self, table):
        return list(self.table(table).values())

    def find(self, table, **equal):
        return [
            record
            for record in self.table(table).values()
            if all(record.get(key) == value for key, value in equal.items())
        ]

    def first(self, table, **equal):
        found = self.find(table, **equal)
        return found[0] if found else None

    def remove(self, table, record_id):
        return self.table(table).pop(record_id, None)

    def next_number(self, counter):
        self.counters[counter] = self.counters.get(counter, 0) + 1
        return self.counters[counter]

    def save(self):
        if not self.path:
            return
        folder = os.path.dirname(os.path.abspath(self.path))
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".emulator-state-")
        with os.fdopen(handle, "w") as out:
            json.dump({"tables": self.tables, "counters": self.counters}, out)
        os.replace(temporary, self.path)
