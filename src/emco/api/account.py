"""The API of one's own account: service tokens (create, list, revoke)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from emco.access import tokens
from emco.api.routes import ERRORS
from emco.api.schemas import NO_NUL
from emco.store.tokens import TokenRow
from emco.web.deps import AccessDep

router = APIRouter(prefix="/api/v1", tags=["tokens"], responses=ERRORS)
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The token's number.")]


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=tokens.MAX_NAME, pattern=NO_NUL,
                      description="What the token is for (the program that uses it).")
    scopes: list[str] = Field(min_length=1, max_length=50,
                              description="Permissions the token acts with, among its "
                                          "user's (such as deconflict:hit:query).")
    days: int = Field(default=90, ge=1, le=tokens.MAX_DAYS, description="Days it lasts.")
    username: str | None = Field(default=None, max_length=100, pattern=NO_NUL,
                                 description="Whose token (another user's needs "
                                             "admin:token:manage); yours by default.")


class TokenOut(BaseModel):
    id: int
    prefix: str
    name: str
    username: str
    scopes: list[str]
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: TokenRow) -> "TokenOut":
        return cls(id=row.id, prefix=row.prefix, name=row.name, username=row.username,
                   scopes=sorted(row.scopes), created_by=row.created_by,
                   created_at=row.created_at, expires_at=row.expires_at,
                   revoked_at=row.revoked_at, last_used_at=row.last_used_at)


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself, shown this once: send it as "
                                   "`Authorization: Bearer <token>`.")


@router.post("/tokens", status_code=201)
def create_token(access: AccessDep, body: TokenIn) -> NewTokenOut:
    """Make a service token; the answer is the only time the token can be read."""
    made = tokens.create(access, username=body.username or access.principal.username,
                         name=body.name, scopes=body.scopes, days=body.days)
    return NewTokenOut(token=made.secret, **TokenOut.of(made.token).model_dump())


@router.get("/tokens")
def list_tokens(access: AccessDep, username: Annotated[
        str | None, Query(max_length=100, pattern=NO_NUL,
                          description="Another user's (admin:token:manage).")] = None
                ) -> list[TokenOut]:
    """Your tokens (never their secret); a token manager may ask for anyone's."""
    return [TokenOut.of(t) for t in tokens.listing(access, username)]


@router.delete("/tokens/{token_id}")
def revoke_token(access: AccessDep, token_id: TokenId) -> TokenOut:
    """Revoke a token at once: it authenticates nothing more."""
    return TokenOut.of(tokens.revoke(access, token_id))
