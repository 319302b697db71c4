"""The message catalogues: complete in French, placeholders intact, in step with the code."""

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from emco import i18n
from emco.i18n import N_, pick_locale, translate, translations

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "src" / "emco" / "translations"
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifr%])")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=locale)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The messages of the sources, extracted exactly as `make i18n` does."""
    out = tmp_path_factory.mktemp("i18n") / "messages.pot"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        CommandLineInterface().run([
            "pybabel", "--quiet", "extract", "-F", "babel.cfg", "-k", "N_", "-k", "_",
            "--no-location", "--omit-header", "--sort-output", "-o", str(out), "."])
    return _read(out)


def _ids(catalog: Catalog) -> dict[str, Message]:
    return {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}


def _placeholders(text: str) -> list[str]:
    """Named placeholders, sorted; an unnamed one counts as '' and `%%` is skipped."""
    return sorted(name for name, conv in PLACEHOLDER.findall(text) if conv != "%")


def _forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def test_extraction_finds_the_messages_of_code_and_templates(extracted: Catalog) -> None:
    ids = _ids(extracted)
    assert "Search" in ids  # a template
    assert "wrong username or password" in ids  # N_() in a stage
    assert "%(n)s matching record" in ids  # ngettext, a default keyword
    assert extracted.get("%(n)s matching record").id == ("%(n)s matching record",
                                                         "%(n)s matching records")
    assert len(ids) > 40


def test_template_catalogue_is_up_to_date(extracted: Catalog) -> None:
    pot = _read(CATALOGUES / "messages.pot")
    assert sorted(map(str, _ids(pot))) == sorted(map(str, _ids(extracted))), \
        "run `make i18n`"
    for msgid, message in _ids(extracted).items():
        assert pot.get(message.id).id == message.id, msgid  # plural forms too


def test_every_message_has_a_french_translation(extracted: Catalog) -> None:
    french = _read(CATALOGUES / "fr" / "LC_MESSAGES" / "messages.po", "fr")
    missing, fuzzy = [], []
    for msgid, message in _ids(extracted).items():
        translated = french.get(message.id)
        if translated is None or not all(f.strip() for f in _forms(translated)):
            missing.append(msgid)
        elif translated.fuzzy:
            fuzzy.append(msgid)
        elif isinstance(message.id, tuple):
            assert isinstance(translated.id, tuple), msgid
            assert len(_forms(translated)) == french.num_plurals, msgid
    assert missing == [], "add their French to fr/LC_MESSAGES/messages.po"
    assert fuzzy == [], "check these French translations and remove '#, fuzzy'"


def test_french_placeholders_match_the_english(extracted: Catalog) -> None:
    french = _read(CATALOGUES / "fr" / "LC_MESSAGES" / "messages.po", "fr")
    for msgid, message in _ids(extracted).items():
        translated = french.get(message.id)
        assert translated is not None, msgid
        english = [message.id] if isinstance(message.id, str) else list(message.id)
        expected = {tuple(_placeholders(e)) for e in english}
        assert len(expected) == 1, f"singular and plural differ: {msgid}"
        for form in _forms(translated):
            assert tuple(_placeholders(form)) in expected, (msgid, form)
            names = {name: 1 for name in _placeholders(form) if name}
            if names:
                assert form % names  # a well-formed format string


def test_english_catalogue_holds_every_message(extracted: Catalog) -> None:
    english = _read(CATALOGUES / "en" / "LC_MESSAGES" / "messages.po", "en")
    assert sorted(map(str, _ids(english))) == sorted(map(str, _ids(extracted)))


def test_translate_a_message_with_parameters() -> None:
    message = N_("a search is at most %(n)s characters", n=42)
    assert message == "a search is at most 42 characters"  # English: logs, CLI and API
    assert message.msgid == "a search is at most %(n)s characters"
    assert message.params == {"n": 42}
    assert translate("fr", message) == "une recherche fait au plus 42 caractères"
    assert translate("en", message) == "a search is at most 42 characters"
    two = N_("%(field)s must be at most %(limit)s", field="limit", limit=200)
    assert translate("fr", two) == "limit doit valoir au plus 200"


def test_translate_plain_text_and_unknowns() -> None:
    assert translate("fr", "Search") == "Recherche"
    assert translate("en", "Search") == "Search"
    assert translate("fr", N_("please log in")) == "veuillez vous connecter"
    assert translate("fr", "Not a message of ours") == "Not a message of ours"
    assert translate("de", "Search") == "Recherche"  # an unknown language: French
    assert translate("fr", "Person") == "Personne"  # FollowTheMoney's labels come along


def test_a_parameter_is_not_read_as_a_format() -> None:
    message = N_("invalid value for %(field)s", field="%(evil)s %s")
    assert translate("fr", message) == "valeur invalide pour %(evil)s %s"


@pytest.mark.parametrize(("locale", "n", "text"), [
    ("fr", 0, "0 fiche correspondante"),
    ("fr", 1, "1 fiche correspondante"),
    ("fr", 2, "2 fiches correspondantes"),
    ("fr", 1_000_000, "1000000 de fiches correspondantes"),
    ("en", 0, "0 matching records"),
    ("en", 1, "1 matching record"),
    ("en", 2, "2 matching records"),
])
def test_plural_forms(locale: str, n: int, text: str) -> None:
    form = translations(locale).ngettext("%(n)s matching record", "%(n)s matching records", n)
    assert form % {"n": n} == text


@pytest.mark.parametrize(("requested", "locale"), [
    ("en", "en"), ("EN", "en"), ("en-GB", "en"), (" fr ", "fr"), ("fr_FR", "fr"),
    ("de", "fr"), ("", "fr"), (None, "fr"), ("\x00", "fr")])
def test_pick_locale(requested: str | None, locale: str) -> None:
    assert pick_locale(requested) == locale


def test_pick_locale_honours_a_supported_default() -> None:
    assert pick_locale(None, default="en") == "en"
    assert pick_locale("de", default="xx") == i18n.DEFAULT_LOCALE
