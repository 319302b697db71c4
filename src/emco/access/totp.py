"""The second factor: time-based one-time codes (RFC 6238, 30-second steps, 6 digits), as
every authenticator app reads them from a QR code."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
import segno

ISSUER = "EMCO"
# A code is accepted one step either side of the server's clock (phones drift).
WINDOW = 1
_CODE = re.compile(r"^\d{6}$")


def new_secret() -> str:
    """A new shared secret: 160 random bits in base32, as RFC 4226 recommends."""
    return pyotp.random_base32()


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret as a QR code, and as text to type."""

    secret: str
    uri: str
    qr_svg: str  # a data: URI, so the page needs no inline script nor a second request

    @property
    def grouped(self) -> str:
        """The secret in groups of four letters, easier to type."""
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))


def enrolment(secret: str, username: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return Enrolment(secret, uri, segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def accepted_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to, if it is valid now and later than `last_step`
    (a code is never accepted twice); None otherwise."""
    code = code.strip().replace(" ", "")
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if (last_step is None or step > last_step) and pyotp.utils.strings_equal(
                code, totp.generate_otp(step)):
            return step
    return None


def code_at(secret: str, now: datetime, offset: int = 0) -> str:
    """The code of `secret` at `now` (plus `offset` steps): for tests and the demo."""
    return pyotp.TOTP(secret).at(now, counter_offset=offset)


def current_code(key_or_account: str) -> str:
    """The code now of a key (as the enrolment page shows it, spaces allowed), or of an
    account's enrolled key, read from the store of the settings and unsealed with the
    server key (`emco.access.serverkey`): for a demonstration without a phone."""
    if re.fullmatch(r"[A-Z2-7 ]+", key_or_account):
        return code_at(key_or_account.replace(" ", ""), datetime.now(UTC))
    from emco.errors import NotFound  # the store only for an account
    from emco.i18n import N_
    from emco.settings import get_settings
    from emco.store import users
    from emco.store.db import Database

    with Database(get_settings().database_url).read() as conn:
        account = users.by_username(conn, key_or_account)
    if account is None or account.totp_secret is None:
        raise NotFound(N_("no account %(user)s with a second factor", user=key_or_account))
    return code_at(account.totp_secret, datetime.now(UTC))


if __name__ == "__main__":  # python -m emco.access.totp KEY|USERNAME
    import sys

    from emco.errors import EmcoError

    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m emco.access.totp KEY|USERNAME")
    try:
        print(current_code(sys.argv[1]))
    except EmcoError as exc:  # no such account, or a key the server's does not open
        raise SystemExit(exc.message) from None
