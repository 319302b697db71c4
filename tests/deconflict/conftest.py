"""Fixture strategy: every deconfliction test that touches storage runs on the `db`
fixture of tests/conftest.py (a fresh, migrated store with the packaged agencies, on
SQLite and on PostgreSQL).

Records come in through ingestion (`tests.factories.load`), as each service would send
them. `resolved` (re-exported from tests/web/conftest.py) is a store whose OFAST and SNRP
records are resolved into entities by a trained model: Mohamed AMRA is one entity across
both services (o-amra, s-amra), his namesake born in 1961 another.

Investigations are registered through `emco.deconflict.investigations` by each service's
liaison (`liaison`), as the API and the CLI do; the staff's operator (`operator`) sees
every service's. Alerts are read back through `emco.alerts.service`, as a recipient or
the staff would read them. Nothing is mocked.
"""

from typing import Any

from emco.access.gate import Access
from emco.alerts.service import AlertView, inbox
from emco.deconflict.investigations import InvestigationView, new_investigation, register
from emco.deconflict.targets import parse_target
from emco.model.enums import Protection, Role
from emco.store.db import Database
from tests.factories import principal
from tests.web.conftest import cheap_passwords, resolved

__all__ = ["cheap_passwords", "resolved"]


def liaison(db: Database, agency: str, clearance: Protection = Protection.NP) -> Access:
    return Access(db, principal(agency, Role.LIAISON, clearance=clearance,
                                username=f"liaison.{agency.lower()}"))


def operator(db: Database) -> Access:
    """An operator of the coordination staff, cleared DR: sees every service's data."""
    return Access(db, principal("EMCO", Role.OPERATOR, clearance=Protection.DR,
                                username="op.emco"))


def case(access: Access, reference: str, *targets: tuple[str, Any], agency: str | None = None,
         title: str | None = None, **fields: Any) -> InvestigationView:
    """Register an investigation of the principal's service (or `agency`) with targets
    given as (kind, value)."""
    code = agency or access.principal.agency
    new = new_investigation(agency=code, reference=reference,
                            title=title or f"Dossier {reference} (secret de {code})",
                            contact_name=f"Cdt {code.title()}", contact_phone="01 40 00 00 00",
                            contact_email=f"chef@{code.lower()}.invalid", **fields)
    return register(access, new, [parse_target(kind, value, "FR") for kind, value in targets])


def alerts_of(access: Access) -> list[AlertView]:
    """Every alert the principal's service receives (every alert, for the staff)."""
    return inbox(access, limit=200).alerts
