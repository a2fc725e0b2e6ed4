"""docker-compose.yml is a valid Compose file and wires the stack as the design says.

No Docker engine here: the file is checked against the Compose Specification's JSON
schema, then for the facts that matter (real subcommands, one scheduler, the store URL,
tables created once before anything runs).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "docker-compose.yml"
COMPOSE_SCHEMA = REPO.parent / "shared" / "schemas" / "compose-spec.json"

# The `taskledger` subcommands a container may run.
SUBCOMMANDS = ("serve", "project", "scheduler", "db init", "events")
DATABASE_URL = "TASKLEDGER_DATABASE_URL"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {name: str(value) for name, value in environment.items()}


def conditions_of(service: dict[str, Any]) -> dict[str, str]:
    depends = service.get("depends_on", {})
    if isinstance(depends, list):
        return {name: "service_started" for name in depends}
    return {name: spec.get("condition", "service_started") for name, spec in depends.items()}


def taskledger_services(services: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Services running the project's image, with their command."""
    return {
        name: command_of(service)
        for name, service in services.items()
        if command_of(service)[:1] == ["taskledger"]
    }


def test_compose_file_is_valid_against_the_compose_specification(
    compose: dict[str, Any],
) -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_every_project_service_runs_a_real_taskledger_subcommand(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        if "build" not in service:
            continue
        command = command_of(service)
        assert command[:1] == ["taskledger"], f"{name} builds the image but runs {command}"
        subcommand = " ".join(command[1:3]) if command[1:2] == ["db"] else command[1]
        assert subcommand in SUBCOMMANDS, f"{name} runs unknown subcommand {subcommand!r}"


def test_the_stack_has_api_projector_scheduler_and_db_init(
    services: dict[str, dict[str, Any]],
) -> None:
    commands = {
        name: " ".join(command[1:]) for name, command in taskledger_services(services).items()
    }
    # inside a container the API must listen beyond the container's own loopback
    assert commands.get("api") == "serve --host 0.0.0.0"
    assert commands.get("projector") == "project"
    assert commands.get("scheduler") == "scheduler"
    assert commands.get("db-init") == "db init"
    assert "8000:8000" in [str(port) for port in services["api"].get("ports", [])]


def test_only_one_scheduler_runs(services: dict[str, dict[str, Any]]) -> None:
    schedulers = [
        name
        for name, command in taskledger_services(services).items()
        if command[1:2] == ["scheduler"]
    ]
    assert schedulers == ["scheduler"], f"one scheduler process, found {schedulers}"
    service = services["scheduler"]
    assert service.get("scale", 1) == 1
    assert service.get("deploy", {}).get("replicas", 1) == 1


def test_every_project_service_uses_the_postgres_store(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in taskledger_services(services):
        url = environment_of(services[name]).get(DATABASE_URL, "")
        assert url == "postgresql://postgres@postgres:5432/taskledger", name


def test_tables_are_created_once_before_the_long_running_processes_start(
    services: dict[str, dict[str, Any]],
) -> None:
    assert conditions_of(services["db-init"]) == {"postgres": "service_healthy"}
    assert services["db-init"].get("restart", "no") == "no"
    for name in ("api", "projector", "scheduler"):
        conditions = conditions_of(services[name])
        assert conditions.get("db-init") == "service_completed_successfully", name
        assert conditions.get("postgres") == "service_healthy", name


def test_postgres_is_checked_for_health_and_keeps_its_data(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    postgres = services["postgres"]
    assert str(postgres["image"]).startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = str(postgres["volumes"][0]).split(":")[0]
    assert volume in compose.get("volumes", {}), "PostgreSQL data needs a named volume"


def test_dockerfile_builds_what_compose_runs() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.startswith("FROM python:3.11-slim")
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-noto-cjk"):
        assert package in dockerfile
    assert "pip install -e ." in dockerfile  # templates are read beside the packages
    users = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), "the image must run as a non-root user"
