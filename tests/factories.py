"""Builders of test data, through the platform's own entry points."""

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import update

from emco.access import auth, totp
from emco.access.gate import Access
from emco.ingest.pipeline import IngestRequest, IngestSummary, ingest
from emco.model.enums import Protection, Role
from emco.model.types import Principal, RecordMeta
from emco.settings import Settings
from emco.store import tables, users
from emco.store.db import Database


def principal(agency: str = "OFAST", *roles: Role, clearance: Protection = Protection.NP,
              username: str | None = None) -> Principal:
    return Principal(username=username or f"test.{agency.lower()}", agency=agency,
                     roles=frozenset(roles or (Role.LIAISON,)), clearance=clearance)


def person(source_id: str, name: str, **props: Any) -> dict[str, Any]:
    """An FtM Person entity; keyword arguments are further properties (a value or list)."""
    properties: dict[str, Any] = {"name": [name]}
    for key, value in props.items():
        properties[key] = value if isinstance(value, list) else [value]
    return {"id": source_id, "schema": "Person", "properties": properties}


def entity(source_id: str, schema: str, meta: dict[str, Any] | None = None,
           **props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": source_id, "schema": schema, "properties": {
        k: (v if isinstance(v, list) else [v]) for k, v in props.items()}}
    if meta:
        out["meta"] = meta
    return out


def write_jsonl(path: Path, entities: Iterable[dict[str, Any] | str]) -> Path:
    """One entity per line; a string is written as is (to make malformed lines)."""
    with path.open("w", encoding="utf-8") as fp:
        for e in entities:
            fp.write((e if isinstance(e, str) else json.dumps(e, ensure_ascii=False)) + "\n")
    return path


def load(db: Database, settings: Settings, path: Path, agency: str = "OFAST",
         defaults: RecordMeta | None = None, mapping: Path | None = None,
         workers: int = 0, chunk_size: int | None = None, **request: Any) -> IngestSummary:
    """Ingest a file as the given agency's liaison officer would."""
    access = Access(db, principal(agency, Role.LIAISON, clearance=Protection.DR))
    req = IngestRequest(path=path, agency=agency, mapping=mapping,
                        defaults=defaults or RecordMeta(), **request)
    return ingest(access, req, region=settings.default_region,
                  retention_years=settings.retention_years,
                  quarantine_dir=settings.quarantine_dir,
                  chunk_size=chunk_size or settings.ingest_chunk_size, workers=workers)


def user(db: Database, username: str, agency: str, *roles: Role,
         clearance: Protection = Protection.NP, password: str = "correct horse battery",
         enrolled: bool = True) -> str:
    """An account, with its second factor enrolled unless `enrolled` is False (then it
    enrols at its first login, as a new account does)."""
    admin = Access(db, auth.cli_principal("EMCO", frozenset({Role.ADMIN})))
    auth.create_user(admin, username=username, display_name=username, agency=agency,
                     roles=frozenset(roles), clearance=clearance, password=password)
    if enrolled:
        enrol(db, username)
    return password


def enrol(db: Database, username: str) -> str:
    """Give an account an enrolled authenticator (as its first login would); the secret."""
    secret = totp.new_secret()
    with db.write() as conn:
        user = users.by_username(conn, username)
        assert user is not None, username
        users.set_totp(conn, user.id, secret, datetime.now(UTC))
    return secret


def totp_code(db: Database, username: str) -> str:
    """The account's authenticator code now. Tests log the same account in many times a
    minute, faster than the 30-second steps allow (a code is accepted once): when the
    steps the server accepts are used up, the account's last used step is set back. That
    a code is refused twice is tested on its own (tests/access/test_auth.py)."""
    now = datetime.now(UTC)
    with db.write() as conn:
        user = users.by_username(conn, username)
        assert user is not None, username
        assert user.totp_secret, f"{username} has no second factor"
        current = pyotp.TOTP(user.totp_secret).timecode(now)
        last = user.totp_last_step
        if last is not None and last >= current + totp.WINDOW:
            conn.execute(update(tables.users).where(tables.users.c.id == user.id)
                         .values(totp_last_step=current - 1))
            last = current - 1
        step = current if last is None or last < current else last + 1
        return totp.code_at(user.totp_secret, now, step - current)
