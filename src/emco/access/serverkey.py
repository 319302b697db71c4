"""The server key: what EMCO stores and must read back in clear (the second factor's
shared secrets) is sealed with it, so that a copy of the database alone does not give
them away (docs/security.md, "Second-factor keys at rest").

Sealing is `cryptography`'s Fernet (AES-128-CBC and HMAC-SHA256, a random IV each time).
The key is `EMCO_SECRET_KEY`; without it, a key file made once in the data folder
(`EMCO_DATA_DIR/secret.key`, mode 0600) and read from then on. `EMCO_SECRET_KEY_OLD`
lists earlier keys (comma-separated) that still open what they sealed (`MultiFernet`):
a new key seals, the old ones are kept until every secret sealed with them is written
again. The key is read from the process's settings (`get_settings`), once per value.
"""

import logging
import os
import re
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from emco.errors import IntegrityError
from emco.i18n import N_
from emco.settings import get_settings

KEY_FILE = "secret.key"
# A second-factor secret stored before sealing: 32 base32 letters (160 bits, as
# `emco.access.totp.new_secret` makes them). A Fernet token never looks like one.
_CLEAR_TOTP = re.compile(r"^[A-Z2-7]{32}$")
log = logging.getLogger("emco.access.serverkey")


class UnreadableSecret(IntegrityError):
    """A sealed value the server's keys do not open: another key, or altered."""


def new_key() -> str:
    """A new key, as `EMCO_SECRET_KEY` takes it (32 random bytes, URL-safe base64)."""
    return Fernet.generate_key().decode("ascii")


def seal(text: str) -> str:
    """`text` sealed with the current key: ASCII, about 100 characters for a TOTP key."""
    return keyring().encrypt(text.encode("utf-8")).decode("ascii")


def unseal_totp(stored: str, account: str) -> str:
    """The second-factor secret of `account` from its stored value. A secret stored in
    clear before sealing existed is taken as it is (it is sealed at its next write);
    anything else the keys do not open raises `UnreadableSecret` naming the account and
    the way out (`emco user reset-totp`)."""
    if _CLEAR_TOTP.fullmatch(stored):
        return stored
    try:
        return keyring().decrypt(stored.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        log.error("the second-factor key of %s does not open with the server's key",
                  account)
        raise UnreadableSecret(N_(
            "the second-factor key of account %(account)s cannot be read with the "
            "server's key (EMCO_SECRET_KEY): an administrator clears it with `emco user "
            "reset-totp %(account)s`, and the account enrols again", account=account)
        ) from exc


def keyring() -> MultiFernet:
    """The current key, then the old ones, from the settings (or the key file)."""
    settings = get_settings()
    return _keyring(settings.secret_key.get_secret_value(),
                    settings.secret_key_old.get_secret_value(),
                    str(settings.data_dir.resolve()))


@lru_cache(maxsize=4)
def _keyring(key: str, old: str, folder: str) -> MultiFernet:
    current = key.strip().encode("ascii") if key.strip() else _key_file(Path(folder))
    earlier = [k.strip().encode("ascii") for k in old.split(",") if k.strip()]
    try:
        return MultiFernet([Fernet(k) for k in [current, *earlier]])
    except ValueError as exc:  # the settings check theirs: the key file's is at fault
        raise IntegrityError(N_("%(path)s is not a server key (32 bytes in URL-safe "
                                "base64): restore it from a backup, or set "
                                "EMCO_SECRET_KEY", path=str(Path(folder) / KEY_FILE))
                             ) from exc


def _key_file(folder: Path) -> bytes:
    """The key of the data folder's key file, made the first time (0600, written whole
    under another name and linked into place, so that two processes starting together
    agree on one key)."""
    path = folder / KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / f".{KEY_FILE}.{os.getpid()}"
        with os.fdopen(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                       "wb") as fp:
            fp.write(Fernet.generate_key() + b"\n")
        try:
            os.link(part, path)
            log.warning("made a new server key in %s: keep it with the database's "
                        "backups, or set EMCO_SECRET_KEY", path)
        except FileExistsError:
            pass  # another process made it first: theirs
        finally:
            part.unlink()
    if path.stat().st_mode & 0o077:
        log.warning("%s can be read by others than its owner: chmod 600 it", path)
    return path.read_bytes().strip()


if __name__ == "__main__":  # a new key, for EMCO_SECRET_KEY
    print(new_key())
