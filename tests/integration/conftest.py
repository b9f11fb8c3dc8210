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


@pytest.fixture
def heroku(heroku):
    """The session's emulator (tests/conftest.py), and after the test a check that the
    collection's requests fit Heroku's schema as published: the emulator takes more (what
    the official CLI sends) and marks such requests."""
    yield heroku
    unpublished = [entry for entry in heroku.requests_log() if entry.get("unpublished")]
    assert unpublished == [], f"requests outside Heroku's published schema: {unpublished}"
