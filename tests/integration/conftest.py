"""The playbook runner; the emulator fixtures come from tests/conftest.py."""

from pathlib import Path

import pytest

from tests.support.playbook import PYTHON, ROOT, run_playbook

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

    def run(tasks, **options):
        return run_playbook(tmp_path, tasks, heroku.url, **options)

    return run
