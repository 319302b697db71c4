"""OpenID Connect, the protocol: EMCO as a relying party of one identity provider, through
Authlib's Starlette (HTTPX) client.

A login is a round trip. `Provider.start` makes the provider's authorization address with
a state, a nonce and a PKCE challenge (S256), and keeps the nonce and the PKCE verifier
here, under the state; the browser keeps the state in a cookie as well, so that a callback
followed in another browser (a forged or stolen link: login CSRF) finds nothing. A state
serves once. `Provider.identity` reads the callback: it exchanges the code at the token
endpoint (with the verifier and the client secret), checks the ID token's signature
against the keys the provider publishes, its issuer, audience, expiry and nonce, and says
who the provider vouches for. Which EMCO account that is, if any, is `oidc_login`'s
business.

Logins under way live in the server process (like the default rate counters): a login
begun on one server process must end on the same one, which `emco serve` always does.
"""

import hmac
import threading
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import errors as jose

from emco.errors import BadInput, EmcoError, Forbidden, UpstreamError
from emco.i18n import N_, Message
from emco.model.types import Principal
from emco.settings import Settings

with warnings.catch_warnings():
    # Authlib 1.9 warns, at import, that it would rather run on the `httpx2` fork than on
    # httpx, which it supports and EMCO uses; the warning would print at every command.
    # Its module of warnings turns them all on when imported: ours comes after.
    from authlib.deprecate import AuthlibDeprecationWarning

    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.starlette_client import OAuth, OAuthError

# A login must come back from the provider within this time.
FLOW_SECONDS = 600
# Clock difference allowed between the provider and EMCO on the token's times.
LEEWAY_SECONDS = 60
# How long EMCO waits for each answer of the provider.
TIMEOUT_SECONDS = 10.0
# `amr` values (RFC 8176) that say the provider checked a second factor.
MFA_METHODS = frozenset({"mfa", "otp", "hwk"})


@dataclass(frozen=True)
class Identity:
    """Who the provider vouches for: its subject, and what else its ID token says."""

    issuer: str
    subject: str
    username: str | None  # the username claim: a hint for messages, never trusted to log in
    amr: tuple[str, ...]

    @property
    def provider_mfa(self) -> bool:
        """Whether the provider says it checked a second factor."""
        return bool(MFA_METHODS.intersection(self.amr))

    def describe(self) -> str:
        """The identity as an audit row gives it."""
        amr = ",".join(self.amr) or "none"
        return f"subject {self.subject} of {self.issuer}, amr {amr}"


class Refused(Exception):
    """A callback that logs nobody in: `error` is what the user reads (with its HTTP
    status), `reason` what the audit row says; the row names the account concerned
    (`principal`, when the identity is an account's) or else the `username` claimed."""

    def __init__(self, error: EmcoError, reason: str, username: str | None = None,
                 principal: Principal | None = None) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason
        self.username = username
        self.principal = principal


@dataclass(frozen=True)
class _Flow:
    nonce: str
    code_verifier: str
    redirect_uri: str
    next: str
    started: float


class _Flows:
    """Logins under way, by state; each is taken once. Those past their time are dropped,
    and at most LIMIT are kept: the oldest go first."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flows: dict[str, _Flow] = {}  # in the order they began

    def put(self, state: str, flow: _Flow) -> None:
        with self._lock:
            self._flows[state] = flow
            while self._flows:
                oldest = next(iter(self._flows))
                if (len(self._flows) <= self.LIMIT
                        and flow.started - self._flows[oldest].started <= FLOW_SECONDS):
                    break
                del self._flows[oldest]

    def take(self, state: str) -> _Flow | None:
        with self._lock:
            flow = self._flows.pop(state, None)
        if flow is None or time.monotonic() - flow.started > FLOW_SECONDS:
            return None
        return flow


_STATE = N_("this sign-in was not started in this browser, or has expired; please sign "
            "in again")
_UNVERIFIED = N_("the identity token could not be verified")
_UNREACHABLE = N_("the identity provider cannot be reached; try again later, or log in "
                  "with your password")
# What a bad ID token is called in the audit row, and told to the user, by claim at fault.
_CLAIMS: dict[str, tuple[str, Message]] = {
    "aud": ("wrong audience", N_("the identity token was not issued to EMCO")),
    "azp": ("wrong audience", N_("the identity token was not issued to EMCO")),
    "nonce": ("nonce mismatch (a replayed token?)",
              N_("the identity token does not belong to this sign-in; please sign in "
                 "again")),
    "iss": ("wrong issuer", N_("the identity token comes from another issuer")),
}


class Provider:
    """The identity provider of the settings, and the logins under way with it."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        self.username_claim = settings.oidc_username_claim
        self.redirect_url = settings.oidc_redirect_url or None
        # Discovery: "any terminating / MUST be removed before appending" (OIDC Discovery 4).
        discovery = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        self.client: Any = OAuth().register(
            "emco", client_id=self.client_id,
            client_secret=settings.oidc_client_secret.get_secret_value(),
            server_metadata_url=discovery,
            client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256",
                           "timeout": TIMEOUT_SECONDS})
        self._flows = _Flows()

    @classmethod
    def of(cls, settings: Settings) -> "Provider | None":
        """The provider, or None when the settings name none (the login is off)."""
        return cls(settings) if settings.oidc_enabled else None

    async def start(self, redirect_uri: str, next: str) -> tuple[str, str]:
        """Begin a login: the provider's authorization address to send the browser to,
        and the state the browser must bring back (to keep in its cookie)."""
        try:
            await self._check_issuer()
            made = await self.client.create_authorization_url(redirect_uri)
        except (httpx.HTTPError, ValueError, KeyError, RuntimeError) as exc:
            raise Refused(UpstreamError(_UNREACHABLE), _unreachable(exc)) from exc
        self._flows.put(made["state"], _Flow(made["nonce"], made["code_verifier"],
                                             redirect_uri, next, time.monotonic()))
        return made["url"], made["state"]

    async def identity(self, params: Mapping[str, str], cookie_state: str | None
                       ) -> tuple[Identity, str]:
        """Read the provider's callback (`params`: its query) in the browser that holds
        `cookie_state`: who the provider vouches for, and the local page the user asked
        for. Raises `Refused`, saying why, on anything amiss."""
        state = params.get("state", "")
        flow = (self._flows.take(state) if state and cookie_state
                and hmac.compare_digest(cookie_state.encode(), state.encode()) else None)
        if params.get("error"):
            error = _printable(params["error"])
            raise Refused(Forbidden(N_("the identity provider refused the sign-in (%(error)s)",
                                       error=error)),
                          f"provider error {error}: "
                          f"{_printable(params.get('error_description', ''), 200)}")
        if flow is None:
            raise Refused(BadInput(_STATE, field="state"), _state_problem(state, cookie_state))
        if not params.get("code"):
            raise Refused(BadInput(N_("the identity provider sent no code"), field="code"),
                          "no code")
        claims = await self._verified_claims(params["code"], flow)
        username = claims.get(self.username_claim)
        amr = claims.get("amr") or []
        return Identity(
            issuer=self.issuer, subject=claims["sub"],
            username=username[:100] if isinstance(username, str) else None,
            amr=tuple(str(m) for m in amr)), flow.next

    async def _verified_claims(self, code: str, flow: _Flow) -> dict[str, Any]:
        """Exchange the code, and check the ID token it brings."""
        try:
            token = await self.client.fetch_access_token(
                redirect_uri=flow.redirect_uri, code=code, code_verifier=flow.code_verifier)
            if "id_token" not in token:
                raise Refused(Forbidden(_UNVERIFIED), "no ID token in the token response")
            claims = await self.client.parse_id_token(
                token, nonce=flow.nonce, leeway=LEEWAY_SECONDS, claims_options={
                    "iss": {"essential": True, "value": self.issuer},
                    "aud": {"essential": True, "value": self.client_id},
                    "sub": {"essential": True}})
        except OAuthError as exc:  # the token endpoint said no: a used or forged code
            raise Refused(Forbidden(N_("the identity provider did not accept the sign-in "
                                       "code; please sign in again")),
                          f"token endpoint: {_printable(str(exc.error), 100)}") from exc
        except jose.JoseError as exc:
            raise _bad_token(exc) from exc
        except (httpx.HTTPError, ValueError, KeyError, RuntimeError) as exc:
            raise Refused(UpstreamError(_UNREACHABLE), _unreachable(exc)) from exc
        return dict(claims)

    async def _check_issuer(self) -> None:
        """The discovery document (fetched once) must name the configured issuer, as the
        ID tokens will (OIDC Discovery 4.3): else it is another provider's."""
        metadata = await self.client.load_server_metadata()
        if metadata.get("issuer") != self.issuer:
            raise ValueError(f"the discovery document names the issuer "
                             f"{metadata.get('issuer')!r}, not {self.issuer!r}")


def _bad_token(exc: jose.JoseError) -> Refused:
    if isinstance(exc, jose.ExpiredTokenError):
        return Refused(Forbidden(N_("the identity token has expired; please sign in again")),
                       "expired token")
    if isinstance(exc, jose.BadSignatureError | jose.InvalidKeyIdError):
        return Refused(Forbidden(N_("the identity token's signature is not valid")),
                       "bad signature" if isinstance(exc, jose.BadSignatureError)
                       else "unknown signing key")
    if isinstance(exc, jose.ClaimError):
        for claim in exc.claim.split(","):
            if claim in _CLAIMS:
                reason, message = _CLAIMS[claim]
                return Refused(Forbidden(message), reason)
        return Refused(Forbidden(_UNVERIFIED), f"invalid claim {exc.claim}")
    return Refused(Forbidden(_UNVERIFIED), f"invalid token: {type(exc).__name__}")


def _state_problem(state: str, cookie_state: str | None) -> str:
    if not state:
        return "missing state"
    if not cookie_state:
        return "no sign-in under way in this browser"
    if cookie_state != state:
        return "state does not match this browser's"
    return "unknown or expired state (already used?)"


def _unreachable(exc: Exception) -> str:
    return f"provider unreachable: {type(exc).__name__}: {_printable(str(exc), 200)}"


def _printable(text: str, limit: int = 50) -> str:
    """Text from the provider, as safe to show and to audit: printable, and short."""
    return "".join(c if c.isprintable() else "?" for c in text[:limit])
