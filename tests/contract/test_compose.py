"""docker-compose.yml gives each service exactly the settings it reads, wired to each other.

Every variable under a service's `environment` must be `<PREFIX><FIELD>` for a field of
that service's Settings class, the required ones must be there, and the addresses must
name the compose services and the ports their commands listen on. The settings are then
actually built from that environment, so a value of the wrong shape fails here too.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ("catalog", "stock", "mrp", "trace", "workflow", "erp")
SERVICES = ("gateway", *BACKENDS)
REQUIRED = {
    "gateway": {"DATABASE_URL", "INTERNAL_TOKEN_SECRET", "UPSTREAMS", "JWT_SECRET"},
    **{name: {"DATABASE_URL", "INTERNAL_TOKEN_SECRET", "GATEWAY_URL"} for name in BACKENDS},
}
_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")
#: What `${VAR:?...}` stands for in these tests: long and distinct, as production demands.
SAMPLE_SECRETS = {
    "INTERNAL_TOKEN_SECRET": "compose-test-internal-secret-0123456789abcdef",
    "GATEWAY_JWT_SECRET": "compose-test-gateway-jwt-secret-0123456789abcd",
    "ADMIN_PASSWORD": "compose-test-Secure-Passw0rd",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    with open(REPO_ROOT / "docker-compose.yml", encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    assert isinstance(document, dict)
    return document


def settings_class(service: str) -> type[BaseSettings]:
    cls = importlib.import_module(f"services.{service}.settings").Settings
    assert issubclass(cls, BaseSettings)
    return cls  # type: ignore[no-any-return]


def prefix(service: str) -> str:
    prefix_ = settings_class(service).model_config.get("env_prefix")
    assert prefix_ == f"{service.upper()}_", f"{service}: unexpected env prefix {prefix_!r}"
    return prefix_


def environment(compose: dict[str, Any], service: str) -> dict[str, str]:
    env = compose["services"][service].get("environment") or {}
    assert isinstance(env, dict), f"{service}: write `environment` as a mapping"
    return {str(k): str(v) for k, v in env.items()}


def interpolate(value: str) -> str:
    return _INTERPOLATION.sub(lambda m: SAMPLE_SECRETS.get(m.group(1), f"<{m.group(1)}>"), value)


def listen_port(compose: dict[str, Any], service: str) -> int:
    command = compose["services"][service]["command"]
    assert isinstance(command, list), f"{service}: write `command` in exec form"
    assert "--port" in command, f"{service}: the command names no --port"
    return int(command[command.index("--port") + 1])


def assert_points_at(url: str, service: str, port: int) -> None:
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.port) == ("http", service, port), (
        f"{url} should be http://{service}:{port}"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_environment_is_exactly_settings_of_the_service(
    compose: dict[str, Any], service: str
) -> None:
    env = environment(compose, service)
    prefix_ = prefix(service)
    fields = {name.upper() for name in settings_class(service).model_fields}
    unknown = sorted(k for k in env if not k.startswith(prefix_) or k[len(prefix_) :] not in fields)
    assert not unknown, f"{service}: not settings of services.{service}.settings: {unknown}"
    missing = sorted(REQUIRED[service] - {k[len(prefix_) :] for k in env})
    assert not missing, f"{service}: required settings missing: {missing}"


@pytest.mark.parametrize("service", SERVICES)
def test_settings_build_from_the_compose_environment(
    compose: dict[str, Any], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environment(compose, service).items():
        monkeypatch.setenv(name, interpolate(value))
    settings = settings_class(service)()
    assert getattr(settings, "environment", None) == "production"
    database = urlsplit(str(getattr(settings, "database_url", "")))
    assert (database.scheme, database.hostname, database.path) == (
        "postgresql+asyncpg",
        "postgres",
        f"/{service}",
    )


def test_gateway_upstreams_are_the_compose_services(compose: dict[str, Any]) -> None:
    upstreams = json.loads(environment(compose, "gateway")["GATEWAY_UPSTREAMS"])
    assert sorted(upstreams) == sorted(BACKENDS)
    for name, url in upstreams.items():
        assert name in compose["services"], f"no compose service {name!r}"
        assert_points_at(url, name, listen_port(compose, name))


@pytest.mark.parametrize("service", BACKENDS)
def test_services_reach_the_gateway(compose: dict[str, Any], service: str) -> None:
    url = environment(compose, service)[f"{service.upper()}_GATEWAY_URL"]
    assert_points_at(url, "gateway", listen_port(compose, "gateway"))


def test_stock_nudges_trace(compose: dict[str, Any]) -> None:
    subscribers = json.loads(environment(compose, "stock")["STOCK_EVENT_SUBSCRIBERS"])
    assert "trace" in subscribers


def test_every_database_is_created_and_migrated(compose: dict[str, Any]) -> None:
    init_sql = (REPO_ROOT / "docker" / "postgres-init.sql").read_text(encoding="utf-8")
    created = set(re.findall(r"CREATE DATABASE (\w+);", init_sql))
    assert created == set(SERVICES)
    volumes = compose["services"]["postgres"]["volumes"]
    assert any(
        v.startswith("./docker/postgres-init.sql:/docker-entrypoint-initdb.d/") for v in volumes
    )
    migrate = environment(compose, "migrate")
    assert compose["services"]["migrate"]["command"][-1] == "tools.migrate"
    for service in SERVICES:
        key = f"{service.upper()}_DATABASE_URL"
        assert migrate[key] == environment(compose, service)[key], f"migrate: {key} differs"
    for service in SERVICES:
        depends = compose["services"][service]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_only_the_gateway_is_published(compose: dict[str, Any]) -> None:
    published = sorted(name for name, spec in compose["services"].items() if spec.get("ports"))
    assert published == ["gateway"]
    assert compose["services"]["gateway"]["ports"] == [f"8000:{listen_port(compose, 'gateway')}"]
