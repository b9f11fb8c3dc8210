from pathlib import Path

import pytest

from heroku_emulator import resources
from heroku_emulator.schema import Schema, find_schema_file
from heroku_emulator.server import STRICT_LINKS_EXERCISED

EMULATOR_TESTS = Path(__file__).resolve().parent
COVERAGE_MARK = "emulator_link_coverage"
DESELECTED = pytest.StashKey[list]()
WORKER_OUTPUT_KEY = "heroku_emulator_links_exercised"


# -- Schema coverage accounting ------------------------------------------------------------
# Every strict emulator of this process adds the links it answered with a 2xx to
# STRICT_LINKS_EXERCISED; the summary line and the final coverage check read it.


def implemented_links():
    """The schema's links that have a handler, in the schema's order."""
    resources.load_all()
    schema = Schema(find_schema_file())
    implemented = [link for link in schema.links if link.key in resources.HANDLERS]
    return schema, sorted(implemented, key=lambda link: (link.definition, link.title))


@pytest.fixture(scope="session")
def schema_links():
    """(schema, implemented links) as the emulator's resources define them now."""
    return implemented_links()


@pytest.fixture
def link_coverage_skip_reason(request):
    """Why this session cannot judge link coverage (a subset was selected), or None."""
    return incomplete_selection_reason(request.session)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", f"{COVERAGE_MARK}: runs after every other emulator test (link coverage)"
    )
    config.stash[DESELECTED] = []


def pytest_deselected(items):
    if items:
        items[0].config.stash.setdefault(DESELECTED, []).extend(items)


def under_emulator_tests(item):
    return EMULATOR_TESTS in Path(str(item.path)).resolve().parents


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Move the coverage check right after the last emulator test, so it sees them all."""
    final = [item for item in items if item.get_closest_marker(COVERAGE_MARK)]
    if not final:
        return
    rest = [item for item in items if not item.get_closest_marker(COVERAGE_MARK)]
    last_emulator_test = max(
        (index for index, item in enumerate(rest) if under_emulator_tests(item)), default=-1
    )
    items[:] = rest[: last_emulator_test + 1] + final + rest[last_emulator_test + 1 :]


def incomplete_selection_reason(session):
    """Why this session may not run every emulator test, or None when it runs them all."""
    config = session.config
    if hasattr(config, "workerinput"):
        return "under pytest-xdist each worker sees only its own emulators"
    invocation = Path(config.invocation_params.dir)
    whole_directory = False
    for argument in config.args:
        if "::" in argument:
            return f"only some tests of a file were selected ({argument})"
        target = (invocation / argument).resolve()
        if target == EMULATOR_TESTS or target in EMULATOR_TESTS.parents:
            whole_directory = True
    if not whole_directory:
        return "only some files of tests/emulator were selected"
    # The official-CLI tests (needs node and npm) may be left out: the emulator's own tests
    # must exercise every link without them.
    deselected = config.stash.get(DESELECTED, [])
    dropped = [
        item
        for item in deselected
        if under_emulator_tests(item) and not item.get_closest_marker("cli")
    ]
    if dropped:
        return f"{len(dropped)} emulator tests were deselected (-k, -m, --lf, --deselect...)"
    collected = {Path(str(item.path)).resolve() for item in [*session.items, *deselected]}
    missing = [path for path in EMULATOR_TESTS.rglob("test_*.py") if path not in collected]
    if missing:
        names = ", ".join(sorted(path.name for path in missing))
        return f"some emulator test files were not collected: {names}"
    return None


def pytest_sessionfinish(session):
    # Under xdist, hand this worker's links to the controller (see pytest_testnodedown).
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:
        worker_output[WORKER_OUTPUT_KEY] = [list(key) for key in STRICT_LINKS_EXERCISED]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    for key in getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY, []):
        STRICT_LINKS_EXERCISED.add(tuple(key))


def pytest_terminal_summary(terminalreporter):
    if hasattr(terminalreporter.config, "workerinput"):
        return
    schema, implemented = implemented_links()
    exercised = [link for link in implemented if link.key in STRICT_LINKS_EXERCISED]
    terminalreporter.write_line(
        f"heroku-emulator: implements {len(implemented)} of {len(schema.links)} schema links; "
        f"{len(exercised)} exercised with strict validation"
    )
