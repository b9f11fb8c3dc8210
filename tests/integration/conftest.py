"""Shared fixtures: an emulator per session (reset for each test) and a playbook runner."""

from pathlib import Path

import pytest

from tests.support.playbook import PYTHON, ROOT, run_playbook

CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
# ansible-core has no `json` stdout callback any more; ours prints the same report shape.
JSON_CALLBACK_ENV = {
    "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
    "ANSIBLE_STDOUT_CALLBACK": "json_report",
}
COLLECTION = ROOT / ".collections" / "ansible_collections" / "herokuops" / "platform"


@pytest.fixture(scope="session")
def ansible_ready():
    """ansible-playbook and this collection are where the runs expect them."""
    ansible_playbook = Path(PYTHON).parent / "ansible-playbook"
    assert ansible_playbook.exists(), f"ansible-playbook not found at {ansible_playbook}"
    assert (COLLECTION / "plugins" / "modules").is_dir(), (
        f"collection herokuops.platform not found at {COLLECTION}"
    )


@pytest.fixture
def playbook(ansible_ready, heroku, tmp_path):
    """playbook(tasks, **options) runs ansible-playbook on localhost against `heroku`."""

    def run(tasks, *, json_output=True, env=None, **options):
        extra = dict(JSON_CALLBACK_ENV) if json_output else {}
        extra.update(env or {})
        return run_playbook(
            tmp_path, tasks, heroku.url, json_output=json_output, env=extra, **options
        )

    return run
