"""`emco user link-oidc`: which identity provider's subject logs in an account."""

from typing import Annotated

import typer
from rich.console import Console

from emco.access import oidc_login
from emco.cli_common import staff, store
from emco.errors import BadInput
from emco.model.enums import Protection, Role
from emco.settings import get_settings

out = Console(soft_wrap=True)


def link_oidc_cmd(
    username: str,
    subject: Annotated[str | None, typer.Option(
        help="The subject (`sub` claim) the provider gives the person.")] = None,
    issuer: Annotated[str | None, typer.Option(
        help="The provider's issuer URL; EMCO_OIDC_ISSUER when not given.")] = None,
    unlink: Annotated[bool, typer.Option(
        "--unlink", help="Remove the account's link instead (its sessions end).")] = False,
) -> None:
    """Let an identity provider's subject log in an account (EMCO never links one by
    itself), or remove that link."""
    access = staff(store(), Role.ADMIN, Protection.NP)
    if unlink:
        oidc_login.unlink(access, username)
        out.print(f"User {username} unlinked from its identity provider; its sessions "
                  "ended.", highlight=False)
        return
    issuer = issuer or get_settings().oidc_issuer
    if not subject:
        raise BadInput("give --subject, the provider's subject for this person",
                       field="subject")
    if not issuer:
        raise BadInput("give --issuer, or set EMCO_OIDC_ISSUER", field="issuer")
    oidc_login.link(access, username, subject, issuer)
    out.print(f"User {username} linked to subject {subject} of {issuer}.", highlight=False)
