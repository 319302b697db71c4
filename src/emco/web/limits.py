"""Rate limits: logins per client address, hit/no-hit queries per user. Counters live
where `EMCO_RATE_LIMIT_STORAGE` says. (The largest request body is FastAPI's own
`max_body_size`, set by the app factory.)"""

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse, storage, strategies

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import TooManyRequests
from emco.i18n import N_
from emco.model.enums import AuditAction, Outcome
from emco.model.types import Principal
from emco.settings import Settings
from emco.store.db import Database


@dataclass(frozen=True)
class Limits:
    limiter: strategies.RateLimiter
    login: RateLimitItem
    hit: RateLimitItem

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        return cls(strategies.MovingWindowRateLimiter(
            storage.storage_from_string(settings.rate_limit_storage)),
            parse(settings.login_rate), parse(settings.hit_rate))

    def login_attempt(self, db: Database, address: str, username: str) -> None:
        """Count a login attempt from `address`; beyond the rate, refuse and audit it."""
        self._take(db, self.login, f"login:{address}",
                   Principal(username=username[:100] or "?", agency="-", roles=frozenset()),
                   AuditAction.LOGIN_THROTTLED, f"from {address}")

    def hit_query(self, db: Database, principal: Principal) -> None:
        """Count a hit/no-hit query of `principal`; beyond the rate, refuse and audit it."""
        self._take(db, self.hit, f"hit:{principal.username}", principal,
                   AuditAction.HIT_THROTTLED, None)

    def _take(self, db: Database, item: RateLimitItem, key: str, who: Principal,
              action: AuditAction, detail: str | None) -> None:
        if self.limiter.hit(item, key):
            return
        reset = self.limiter.get_window_stats(item, key).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        Access(db, who).record(AuditEvent(action, detail=detail), Outcome.DENIED)
        raise TooManyRequests(N_("too many attempts; try again in %(seconds)s seconds",
                                 seconds=wait), retry_after=wait)
