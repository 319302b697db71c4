"""A service's webhook endpoint: who may set it, which addresses and secrets are taken."""

import pytest

from emco.alerts.service import remove_webhook, set_webhook
from emco.errors import BadInput, Forbidden, NotFound
from emco.store import alerts as repo
from emco.store.db import Database
from tests.alerts.conftest import analyst, audit_rows, liaison, operator

SECRET = "a-secret-of-enough-length"


def _hook(db: Database, agency: str) -> repo.WebhookRow | None:
    with db.read() as conn:
        return repo.webhook(conn, agency)


def test_a_liaison_sets_and_replaces_its_own_services_endpoint(db: Database) -> None:
    done = set_webhook(liaison(db, "OFAST"), "ofast", "https://ofast.example/emco", SECRET)
    assert (done.agency, done.url, done.updated_by, done.secret) == (
        "OFAST", "https://ofast.example/emco", "liaison.ofast", None)  # not echoed
    set_webhook(liaison(db, "OFAST"), "OFAST", "http://10.1.2.3:8080/hook", SECRET + "2")
    stored = _hook(db, "OFAST")
    assert stored is not None
    assert (stored.url, stored.secret) == ("http://10.1.2.3:8080/hook", SECRET + "2")
    rows = audit_rows(db, "alerts:webhook:manage")
    assert [r["detail"] for r in rows] == ["set https://ofast.example/emco",
                                          "set http://10.1.2.3:8080/hook"]
    assert all(SECRET not in (r["detail"] or "") for r in rows)


def test_without_a_secret_one_is_generated_and_returned_once(db: Database) -> None:
    done = set_webhook(liaison(db, "OFAST"), "OFAST", "https://ofast.example/emco")
    assert done.secret is not None
    assert len(done.secret) >= 32
    stored = _hook(db, "OFAST")
    assert stored is not None
    assert stored.secret == done.secret


def test_a_liaison_may_not_touch_another_services_endpoint(db: Database) -> None:
    with pytest.raises(Forbidden):
        set_webhook(liaison(db, "OFAST"), "DNPJ", "https://evil.example/", SECRET)
    with pytest.raises(Forbidden):
        set_webhook(analyst(db, "OFAST"), "OFAST", "https://ofast.example/", SECRET)
    assert _hook(db, "DNPJ") is None
    assert [r["outcome"] for r in audit_rows(db, "alerts:webhook:manage")] == ["denied",
                                                                              "denied"]


def test_the_staff_manages_any_endpoint(db: Database) -> None:
    set_webhook(operator(db), "DNPJ", "https://dnpj.example/hook", SECRET)
    assert _hook(db, "DNPJ") is not None
    remove_webhook(operator(db), "DNPJ")
    assert _hook(db, "DNPJ") is None


def test_removing_an_endpoint_that_is_not_there(db: Database) -> None:
    with pytest.raises(NotFound) as caught:
        remove_webhook(liaison(db, "OFAST"), "OFAST")
    assert caught.value.field == "agency"


@pytest.mark.parametrize(("url", "secret", "field"), [
    ("ftp://ofast.example/hook", SECRET, "url"),
    ("file:///etc/passwd", SECRET, "url"),
    ("javascript:alert(1)", SECRET, "url"),
    ("https://", SECRET, "url"),
    ("ofast.example/hook", SECRET, "url"),
    ("https://user:pw@ofast.example/hook", SECRET, "url"),
    ("https://ofast.example:99999/hook", SECRET, "url"),
    ("https://ofast.example/a b", SECRET, "url"),
    ("", SECRET, "url"),
    ("https://ofast.example/" + "x" * 2000, SECRET, "url"),
    ("https://ofast.example/hook", "short", "secret"),
    ("https://ofast.example/hook", "x" * 201, "secret"),
])
def test_bad_addresses_and_secrets_are_refused(db: Database, url: str, secret: str,
                                               field: str) -> None:
    with pytest.raises(BadInput) as caught:
        set_webhook(liaison(db, "OFAST"), "OFAST", url, secret)
    assert caught.value.field == field
    assert _hook(db, "OFAST") is None


def test_an_unknown_agency_is_refused(db: Database) -> None:
    with pytest.raises(BadInput) as caught:
        set_webhook(operator(db), "NOPE", "https://x.example/", SECRET)
    assert caught.value.field == "agency"
