"""The deployment files say only what the application understands (no Docker engine runs here)."""

from __future__ import annotations

import re
import shlex

import click
import pytest
import yaml

from conftest import REPO
from pipeline.cli import cli
from pipeline.settings import Settings

#: Variables the third-party images document (MinIO server and client, PostgreSQL).
THIRD_PARTY = {
    "minio": {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"},
    "minio-setup": {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"},
    "postgres": {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"},
    "redis": set(),
}
#: Variables only docker compose reads, to fill in the file (not passed to any container).
COMPOSE_ONLY = {"API_PORT", "SCANS_DIR"}
#: Variables of the Python runtime and Tesseract that the Dockerfile sets.
RUNTIME = {"OMP_THREAD_LIMIT", "PYTHONUNBUFFERED"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


def sohoa_services(compose: dict) -> dict[str, dict]:
    return {name: service for name, service in compose["services"].items()
            if str(service.get("image", "")).startswith("sohoa")}


def is_setting(variable: str) -> bool:
    return variable.startswith("SOHOA_") and variable.removeprefix("SOHOA_").lower() in Settings.model_fields


def check_sohoa_command(args: list[str]) -> None:
    """Parse ``args`` as `sohoa` would: every word a real command or option (raises if not)."""
    if args == ["--help"]:
        return
    command: click.Command = cli
    words = list(args)
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        name = words.pop(0)
        assert name in command.commands, f"`sohoa {' '.join(args)}`: no command {name!r}"
        command = command.commands[name]
    assert not isinstance(command, click.Group), f"`sohoa {' '.join(args)}` names a group only"
    command.make_context(command.name, words, resilient_parsing=False)


def test_every_service_command_is_a_real_sohoa_command(compose):
    """GIVEN docker-compose.yml
    WHEN each service built from the sohoa image has its command parsed by the `sohoa` click group
    THEN every command and option exists (the API, workers and schema upgrade are all there)"""
    services = sohoa_services(compose)
    assert {"api", "worker", "migrate"} <= set(services)
    for name, service in services.items():
        check_sohoa_command([str(word) for word in service["command"]])
    assert services["worker"]["command"][0] == "worker"
    assert services["api"]["command"][0] == "serve"


def test_an_unknown_command_or_option_would_be_caught():
    """GIVEN commands that `sohoa` does not have
    WHEN they are checked as the compose commands are
    THEN each is refused (the check above can fail)"""
    with pytest.raises(AssertionError):
        check_sohoa_command(["wroker"])
    with pytest.raises(click.UsageError):
        check_sohoa_command(["worker", "--procs", "2"])


def test_every_environment_variable_is_read_by_someone(compose):
    """GIVEN docker-compose.yml, .env.example and the Dockerfile
    WHEN their environment variables are listed
    THEN each one set for sohoa is a field of Settings (SOHOA_ prefix), each one set for MinIO or
    PostgreSQL is documented by that image, and .env.example holds nothing else"""
    for name, service in compose["services"].items():
        for variable in service.get("environment") or {}:
            allowed = THIRD_PARTY.get(name, set())
            assert is_setting(variable) or variable in allowed, f"{name}: {variable} is read by nobody"

    example = [line.split("=", 1)[0] for line in (REPO / ".env.example").read_text().splitlines()
               if line and not line.startswith("#")]
    third_party = set().union(*THIRD_PARTY.values())
    for variable in example:
        assert is_setting(variable) or variable in third_party | COMPOSE_ONLY, variable

    dockerfile = (REPO / "Dockerfile").read_text()
    env_block = re.search(r"^ENV (.+?)(?:\n(?!\s)|\Z)", dockerfile, re.MULTILINE | re.DOTALL).group(1)
    for assignment in shlex.split(env_block.replace("\\\n", " ")):
        variable = assignment.split("=", 1)[0]
        assert is_setting(variable) or variable in RUNTIME, variable


def test_the_services_have_healthchecks_volumes_and_a_scalable_worker(compose):
    """GIVEN docker-compose.yml
    WHEN its long-running services are inspected
    THEN each has a healthcheck, state lives in named volumes, the worker publishes no port and
    has no fixed container name (so `--scale worker=N` works), and the bucket set-up enables
    versioning and object lock"""
    services = compose["services"]
    for name in ("minio", "postgres", "redis", "api", "worker"):
        assert "healthcheck" in services[name], name
    named = set(compose["volumes"])
    for name in ("minio", "postgres", "redis"):
        for volume in services[name]["volumes"]:
            assert volume.split(":")[0] in named, (name, volume)
    assert "ports" not in services["worker"] and "container_name" not in services["worker"]
    setup = " ".join(services["minio-setup"]["command"])
    assert "--with-lock" in setup and "version enable" in setup


def test_the_image_user_can_write_the_classifier_it_is_configured_with():
    """GIVEN the Dockerfile, which trains the classifier at build time as root
    WHEN a container runs as the image's user and must retrain (a new version, corrections)
    THEN the model's directory belongs to that user, so the model can be written back"""
    dockerfile = (REPO / "Dockerfile").read_text()
    model = re.search(r"SOHOA_CLASSIFIER_PATH=(\S+)", dockerfile).group(1)
    user = re.search(r"^USER (\S+)", dockerfile, re.M).group(1)
    owned = re.findall(r"chown (?:-R )?" + re.escape(user) + r" (\S+)", dockerfile)
    assert any(model.startswith(path.rstrip("/") + "/") for path in owned), (model, owned)


def test_readme_names_every_package_the_set_up_installs():
    """GIVEN scripts/setup.sh, which installs the system packages README's two commands need
    WHEN a new user reads README's quick start
    THEN every one of those packages is named there"""
    setup = (REPO / "scripts" / "setup.sh").read_text()
    packages = re.search(r"APT_PACKAGES=\(([^)]*)\)", setup).group(1).split()
    quick_start = (REPO / "README.md").read_text().split("## How it works")[0]
    assert [p for p in packages if p not in quick_start] == []


def test_the_installed_package_carries_every_data_file_the_product_reads():
    """GIVEN the image installs sohoa as a package (pip install ., not the source tree)
    WHEN its package data globs in pyproject.toml are matched against the files kept in git
    THEN every non-Python file under pipeline/ and schemas/ (console templates and static files,
    migrations, catalogs, lexicons) is shipped"""
    import fnmatch
    import subprocess
    import tomllib

    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    tracked = subprocess.run(["git", "ls-files", "pipeline", "schemas"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.split()
    missing = []
    for path in (p for p in tracked if not p.endswith(".py")):
        package, _, inside = path.partition("/")
        if not any(fnmatch.fnmatch(inside, glob) for glob in package_data.get(package, [])):
            missing.append(path)
    assert tracked and not missing, missing
