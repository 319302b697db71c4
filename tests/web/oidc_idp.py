"""A small OpenID Connect provider for the tests: a real HTTP server (Starlette, served by
uvicorn in a thread on 127.0.0.1 at a free port), so that EMCO fetches its discovery
document and keys and exchanges its codes over HTTP, as with a real provider.

- `/.well-known/openid-configuration`: discovery;
- `/jwks`: the public half of an RSA key made when the provider starts;
- `/authorize`: checks the request (client, redirect address, state, nonce, PKCE S256)
  and sends the browser straight back with a code, or with the error the test chose (or,
  when `interactive`, shows a page with a link back that a person clicks, as at a real
  provider: the way back then begins on the provider's site, for the browser);
- `/token`: checks the client secret, the code (once), the redirect address and the PKCE
  verifier, and returns an ID token signed RS256.

What the next login gets is the test's choice: set `provider.plan` (the subject, username
and `amr`, claims to change or drop, a key the provider does not publish to sign with).
"""

import base64
import hashlib
import html
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from tests.web.threaded import bound_socket, served

CLIENT_ID = "emco-tests"
CLIENT_SECRET = "a secret between EMCO and the provider"
KEY_ID = "key-1"


@dataclass
class Plan:
    """What the provider says of the next person to log in."""

    subject: str = "sub-ana"
    username: str | None = "ana.ofast"
    amr: list[str] = field(default_factory=lambda: ["pwd"])
    error: str | None = None  # `/authorize` answers with this error instead of a code
    claims: dict[str, Any] = field(default_factory=dict)  # set these; None drops one
    rogue_key: bool = False  # sign with a key of the same id that `/jwks` does not hold


@dataclass
class _Grant:
    plan: Plan
    nonce: str
    challenge: str
    redirect_uri: str


class IdentityProvider:
    def __init__(self, url: str) -> None:
        self.url = url  # also the issuer
        self.plan = Plan()
        self.interactive = False
        self.key = _rsa_key()
        self.rogue = _rsa_key()
        self.grants: dict[str, _Grant] = {}
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.issued: list[dict[str, Any]] = []  # the claims of each ID token, in order
        self.app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
        ])

    async def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
        })

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        q = dict(request.query_params)
        self.authorize_requests.append(q)
        problems = [name for name, ok in (
            ("response_type", q.get("response_type") == "code"),
            ("client_id", q.get("client_id") == CLIENT_ID),
            ("scope", "openid" in q.get("scope", "").split()),
            ("redirect_uri", bool(q.get("redirect_uri"))),
            ("state", bool(q.get("state"))),
            ("nonce", bool(q.get("nonce"))),
            ("code_challenge", bool(q.get("code_challenge"))),
            ("code_challenge_method", q.get("code_challenge_method") == "S256"),
        ) if not ok]
        if problems:
            return PlainTextResponse(f"bad request: {', '.join(problems)}", status_code=400)
        back: dict[str, str] = {"state": q["state"]}
        if self.plan.error:
            back["error"] = self.plan.error
            back["error_description"] = "the user said no"
        else:
            code = secrets.token_urlsafe(16)
            self.grants[code] = _Grant(self.plan, q["nonce"], q["code_challenge"],
                                       q["redirect_uri"])
            back["code"] = code
        address = f"{q['redirect_uri']}?{urlencode(back)}"
        if self.interactive:
            return HTMLResponse(f'<!doctype html><title>Test IdP</title>'
                                f'<a id="approve" href="{html.escape(address)}">Approve</a>')
        return RedirectResponse(address, status_code=302)

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.token_requests.append(form)
        if _client(request, form) != (CLIENT_ID, CLIENT_SECRET):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.grants.pop(form.get("code", ""), None)
        if (form.get("grant_type") != "authorization_code" or grant is None
                or form.get("redirect_uri") != grant.redirect_uri
                or _challenge(form.get("code_verifier", "")) != grant.challenge):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        return JSONResponse({"access_token": secrets.token_urlsafe(24),
                             "token_type": "Bearer", "expires_in": 300,
                             "id_token": self.id_token(grant)})

    def id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url, "sub": grant.plan.subject, "aud": CLIENT_ID, "iat": now,
            "exp": now + 300, "auth_time": now, "nonce": grant.nonce, "amr": grant.plan.amr}
        if grant.plan.username:
            claims["preferred_username"] = grant.plan.username
        for name, value in grant.plan.claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        self.issued.append(claims)
        key = self.rogue if grant.plan.rogue_key else self.key
        return jwt.encode({"alg": "RS256", "kid": KEY_ID}, claims, key)


def _rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig",
                                                 "alg": "RS256"}, private=True)


def _client(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """The client's id and secret: HTTP Basic (client_secret_basic) or the form's."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return unquote_plus(user), unquote_plus(password)
    return form.get("client_id", ""), form.get("client_secret", "")


def _challenge(verifier: str) -> str:
    """The S256 PKCE challenge of a verifier (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@contextmanager
def serving(host: str = "127.0.0.1") -> Iterator[IdentityProvider]:
    """A provider served for the length of the block, on 127.0.0.1, named `host` in its
    addresses (`localhost` puts it on another site than an EMCO at 127.0.0.1, for a
    browser's SameSite rules)."""
    sock = bound_socket()
    provider = IdentityProvider(f"http://{host}:{sock.getsockname()[1]}")
    with served(provider.app, sock):
        yield provider
