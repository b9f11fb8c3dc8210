"""Shared fixtures: an emulator per session (reset for each test) and a playbook runner."""

from pathlib import Path

import pytest

from tests.support.emulator import RunningEmulator
from tests.support.playbook import PYTHON, ROOT, run_playbook

CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
# ansible-core has no `json` stdout callback any more; ours prints the same report shape.
JSON_CALLBACK_ENV = {
    "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
    "ANSIBLE_STDOUT_CALLBACK": "json_report",
}
COLLECTION = ROOT / ".collections" / "ansible_collections" / "herokuops" / "platform"


@pytest.fixture(scope="session")
def integration_emulator():
    ansible_playbook = Path(PYTHON).parent / "ansible-playbook"
    assert ansible_playbook.exists(), f"ansible-playbook not found at {ansible_playbook}"
    assert (COLLECTION / "plugins" / "modules").is_dir(), (
        f"collection herokuops.platform not found at {COLLECTION}"
    )
    emulator = RunningEmulator()
    yield emulator
    emulator.stop()


@pytest.fixture
def heroku(integration_emulator):
    """A strict emulator (responses validated against the schema), emptied for each test."""
    integration_emulator.reset()
    return integration_emulator


@pytest.fixture
def playbook(heroku, tmp_path):
    """playbook(tasks, **options) runs ansible-playbook on localhost against `heroku`."""

    def run(tasks, *, json_output=True, env=None, **options):
        extra = dict(JSON_CALLBACK_ENV) if json_output else {}
        extra.update(env or {})
        return run_playbook(
            tmp_path, tasks, heroku.url, json_output=json_output, env=extra, **options
        )

    return run


@pytest.fixture
def demo_app(heroku):
    """An app named `demo-app` in eu, created through the API; returns its JSON."""
    response = heroku.post("/apps", {"name": "demo-app", "region": "eu"})
    assert response.status_code == 201, response.text
    return response.json()
