"""What the `emco` subcommand modules share: the store, the staff's principal, JSON out."""

import json
import sys
from typing import Any

from emco.access import auth
from emco.access.gate import Access
from emco.model.enums import Protection, Role
from emco.settings import get_settings
from emco.store import agencies
from emco.store.db import Database
from emco.store.migrate import require_current


def store() -> Database:
    """The configured store, refused (with a message to run `emco db upgrade`) when not
    at the newest schema."""
    db = Database(get_settings().database_url)
    require_current(db)
    return db


def staff(db: Database, role: Role = Role.OPERATOR,
          clearance: Protection = Protection.DR) -> Access:
    """A command-line principal of the coordination staff (an operator cleared DR by
    default: sees every service's records)."""
    with db.read() as conn:
        codes = sorted(agencies.staff_codes(conn))
    return Access(db, auth.cli_principal(codes[0] if codes else "EMCO", frozenset({role}),
                                         clearance))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def liaison(db: Database, agency: str) -> Access:
    """The command line acting as a service's liaison officer, cleared DR (as `emco
    ingest` does: the command runs on the server, for that service)."""
    return Access(db, auth.cli_principal(agency.strip().upper(), frozenset({Role.LIAISON}),
                                         Protection.DR))
