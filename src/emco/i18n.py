"""Translation layer: gettext catalogues under `translations/`, French by default.

Source strings are English. Templates call `_()`; stages mark the messages a user may see
with `N_()`, which keeps the English text (for logs, the CLI and the API) and the message
id with its parameters, so that the web layer can show it in the user's language.
FollowTheMoney's own catalogue is merged in, so schema and property labels follow too.
"""

from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

import followthemoney
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
CATALOGUES = Path(__file__).parent / "translations"
DOMAIN = "messages"


class Message(str):
    """An English message that remembers its id and parameters for translation."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> "Message":
        text = msgid % params if params else msgid
        obj = super().__new__(cls, text)
        obj.msgid = msgid
        obj.params = params
        return obj


def N_(msgid: str, **params: Any) -> Message:  # noqa: N802 (the gettext convention)
    """Mark a user-facing message for translation; `%(name)s` placeholders."""
    return Message(msgid, **params)


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> Translations:
    """The catalogue of `locale`, compiled in memory from its .po file (so the .po file
    is the only thing to edit), over FollowTheMoney's catalogue for model labels."""
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    result = Translations(domain=DOMAIN)
    ftm_mo = (Path(followthemoney.__file__).parent / "translations" / locale / "LC_MESSAGES"
              / "followthemoney.mo")
    if ftm_mo.is_file():
        result = Translations(BytesIO(ftm_mo.read_bytes()), domain=DOMAIN)
    po = CATALOGUES / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    result.merge(Translations(buffer, domain=DOMAIN))  # ours win over FtM's
    return result


def translate(locale: str, text: str) -> str:
    """Translate `text`: a `Message` by its id and parameters, other text as a message id."""
    trans = translations(locale)
    if isinstance(text, Message):
        translated = trans.gettext(text.msgid)
        return translated % text.params if text.params else translated
    return trans.gettext(text)


def pick_locale(requested: str | None, default: str = DEFAULT_LOCALE) -> str:
    if requested:
        code = requested.strip().lower()[:2]
        if code in LOCALES:
            return code
    return default if default in LOCALES else DEFAULT_LOCALE


# Words stored as data and shown translated: person categories.
CATEGORY_LABELS = (N_("suspect"), N_("convicted"), N_("victim"), N_("witness"), N_("other"))


# FollowTheMoney labels its own French catalogue lacks, for the schemata EMCO shows.
MODEL_LABELS = (
    N_("Abbreviation"),
    N_("Biography"),
    N_("Citizenship"),
    N_("Closing date"),
    N_("Country of birth"),
    N_("De-registration Date"),
    N_("Email"),
    N_("Eye color"),
    N_("Hair color"),
    N_("Height"),
    N_("Holder"),
    N_("Identification"),
    N_("Identifications"),
    N_("License Number"),
    N_("Name suffix"),
    N_("Occupancy"),
    N_("Occupancies"),
    N_("Opening date"),
    N_("Period end"),
    N_("Period start"),
    N_("Physical appearance"),
    N_("Political group"),
    N_("Position occupied"),
    N_("Social security number"),
    N_("Spoken language"),
    N_("Thing"),
    N_("Weight"),
    N_("Election date"),
    N_("Declaration date"),
    N_("Risk source"),
    N_("Constituency"),
    N_("Stock ticker symbol"),
)
