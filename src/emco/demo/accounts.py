"""Demonstration accounts, with fresh passwords at each run."""

import secrets
from dataclasses import dataclass

from emco.access import auth
from emco.access.gate import Access
from emco.model.enums import Protection, Role
from emco.store import users


@dataclass(frozen=True)
class DemoAccount:
    username: str
    name: str
    agency: str
    role: Role
    clearance: Protection
    what: str


ACCOUNTS = (
    DemoAccount("operateur", "Opérateur EMCO", "EMCO", Role.OPERATOR, Protection.DR,
                "staff operator: sees every service's records"),
    DemoAccount("liaison.snrp", "Officier de liaison SNRP", "SNRP", Role.LIAISON,
                Protection.NP, "prison intelligence liaison: sees SNRP records only"),
)


def ensure_accounts(admin: Access) -> list[tuple[DemoAccount, str]]:
    """Create the demo accounts, or give them new passwords; returns the passwords."""
    out = []
    for account in ACCOUNTS:
        password = secrets.token_urlsafe(12)
        with admin.db.read() as conn:
            exists = users.by_username(conn, account.username) is not None
        if exists:  # a new password, and a new authenticator to enrol at the next login
            auth.set_password(admin, account.username, password)
            auth.reset_second_factor(admin, account.username)
        else:
            auth.create_user(admin, username=account.username, display_name=account.name,
                             agency=account.agency, roles=frozenset({account.role}),
                             clearance=account.clearance, password=password)
        out.append((account, password))
    return out
