"""Fixtures every test directory shares: one strict in-process emulator per session."""

import pytest

from tests.support.emulator import RunningEmulator


@pytest.fixture(scope="session")
def running_emulator():
    emulator = RunningEmulator()
    yield emulator
    emulator.stop()


@pytest.fixture
def heroku(running_emulator):
    """A strict emulator (responses validated against the schema), emptied for each test."""
    running_emulator.reset()
    return running_emulator


@pytest.fixture
def app(heroku):
    """An app named `demo-app` in eu, created through the API; returns its JSON."""
    response = heroku.post("/apps", {"name": "demo-app", "region": "eu"})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="session")
def running_aws():
    from tests.support.aws import AwsGate

    gate = AwsGate()
    yield gate
    gate.stop()


@pytest.fixture
def aws(running_aws):
    """moto behind the AWS-like gate (tests/support/aws.py), emptied for each test."""
    running_aws.reset()
    return running_aws


@pytest.fixture
def health_server():
    """An HTTP server on loopback answering every GET with ``health_server.status``."""
    from tests.support.health import HealthServer

    server = HealthServer()
    yield server
    server.stop()
