"""The OpenAPI spec, fuzzed: schemathesis sends requests generated from every operation's
schema (valid and not) with a staff operator's token, and no answer may be a server error.
The number of requests sent is written to test-artifacts/fuzz-sqlite.txt and fuzz-postgresql.txt."""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from emco.access import auth, tokens
from emco.access.gate import Access
from emco.model.enums import Protection, Role
from emco.settings import Settings
from emco.store.db import Database
from emco.web.app import create_app
from tests import factories

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def api_schema(db: Database, settings: Settings, tmp_path: Path) -> schemathesis.BaseSchema:
    factories.user(db, "op.emco", "EMCO", Role.OPERATOR, clearance=Protection.DR)
    path = factories.write_jsonl(tmp_path / "ofast.jsonl", [
        factories.person("o-1", "Karim Benali", phone="06 12 34 56 78",
                         birthDate="1988-04-02"),
        factories.person("o-2", "Karim Ben Ali", phone="06 12 34 56 78")])
    factories.load(db, settings, path)
    made = tokens.create(Access(db, auth.cli_principal("EMCO", frozenset({Role.ADMIN}))),
                         username="op.emco", name="fuzz", days=1, scopes=[
                             p.value for p in _operator_permissions()])
    app = create_app(settings.model_copy(update={"alert_worker_seconds": 0}), db)
    app.state.fuzz_token = made.secret
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def _operator_permissions() -> frozenset:  # type: ignore[type-arg]
    from emco.access import policy
    from emco.model.types import Principal

    return policy.permissions(Principal("op.emco", "EMCO", frozenset({Role.OPERATOR})))


def test_no_request_gets_a_server_error(api_schema: schemathesis.BaseSchema,
                                        db: Database) -> None:
    """Every operation, 25 generated requests each (the same ones each run)."""
    token = api_schema.app.state.fuzz_token  # type: ignore[attr-defined]
    failures: list[str] = []
    sent = {"requests": 0, "4xx": 0}  # this store's alone
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30, "the spec lists every route"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def send(case: schemathesis.Case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            sent["requests"] += 1
            sent["4xx"] += 400 <= response.status_code < 500
            if response.status_code >= 500:
                failures.append(f"{case.as_curl_command()} -> {response.status_code}")

        send()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"fuzz-{db.engine.dialect.name}.txt").write_text(
        f"{len(operations)} operations, {sent['requests']} requests, {sent['4xx']} answered "
        f"4xx, {len(failures)} answered 5xx\n")
    assert failures == []
