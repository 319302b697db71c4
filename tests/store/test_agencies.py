"""The agencies file and its synchronisation into the store."""

from dataclasses import replace
from pathlib import Path

import pytest

from emco.access.gate import Access
from emco.errors import BadInput
from emco.model.enums import Role
from emco.store import agencies
from emco.store.db import Database
from tests.factories import principal

CONTACT = "contact: {name: Desk, email: desk@x.invalid, phone: '+33 1 00 00 00 99'}"


def _yaml(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "agencies.yml"
    path.write_text("agencies:\n" + "".join(entries), encoding="utf-8")
    return path


def _entry(code: str, contact: str = CONTACT, name: str = "A service",
           staff: bool = False) -> str:
    return (f"  - code: {code}\n    name: {name}\n    ministry: Intérieur\n"
            + ("    staff: true\n" if staff else "") + (f"    {contact}\n" if contact else ""))


def test_packaged_file() -> None:
    found = agencies.load_config(None)
    assert len(found) == 13
    assert len({a.code for a in found}) == 13
    assert [a.code for a in found if a.is_staff] == ["EMCO"]
    assert {"OFAST", "DNPJ", "SNRP"} <= {a.code for a in found}
    assert all(a.name and a.ministry and a.contact_name and a.contact_email
               and a.contact_phone for a in found)


def test_a_good_file(tmp_path: Path) -> None:
    found = agencies.load_config(_yaml(tmp_path, _entry("HQ", staff=True), _entry("S_1")))
    assert [(a.code, a.is_staff, a.contact_phone) for a in found] == [
        ("HQ", True, "+33 1 00 00 00 99"), ("S_1", False, "+33 1 00 00 00 99")]


@pytest.mark.parametrize(("entries", "message"), [
    ((_entry("AAA"), _entry("BBB"), _entry("AAA")), r"agency #3: code AAA appears twice"),
    ((_entry("AAA"), _entry("BBB", contact="")),
     r"agency #2 \(BBB\): a contact point \(name, email, phone\) is needed"),
    ((_entry("AAA", contact="contact: {name: Desk, email: d@x.invalid}"),),
     r"agency #1 \(AAA\): missing contact.phone"),
    ((_entry("AAA", name="''"),), r"agency #1 \(AAA\): missing name"),
    ((_entry("aaa"),), r"agency #1: code 'aaa' must be 2-16 capitals"),
    ((_entry("AAA"), _entry("'A-B'")), r"agency #2: code 'A-B' must be"),
    ((_entry("A"),), r"agency #1: code 'A' must be"),
    ((_entry("ABCDEFGHIJKLMNOPQ"),), r"agency #1: code 'ABCDEFGHIJKLMNOPQ' must be"),
    ((_entry('"OFAST\\n"'),), r"agency #1: code 'OFAST\\n' must be"),
    (("  - just a string\n",), r"agency #1: expected code, name, ministry and contact"),
])
def test_a_bad_entry_is_named(tmp_path: Path, entries: tuple[str, ...],
                              message: str) -> None:
    path = _yaml(tmp_path, *entries)
    with pytest.raises(BadInput, match=message) as caught:
        agencies.load_config(path)
    assert str(path) in caught.value.message


@pytest.mark.parametrize("text", ["agencies: []\n", "agencies:\n  code: X\n", "- a\n",
                                  "agencies: [\n"])
def test_a_bad_file_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "agencies.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput, match=r"agencies\.yml"):
        agencies.load_config(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="agencies file not found") as caught:
        agencies.load_config(tmp_path / "none.yml")
    assert caught.value.field == "EMCO_AGENCIES_FILE"


def test_sync_adds_updates_and_deactivates(db: Database) -> None:
    packaged = agencies.load_config(None)
    with db.write() as conn:
        assert agencies.sync(conn, packaged) == (0, 0, 0)  # the template holds them already
        assert len(agencies.all_agencies(conn)) == 13
    renamed = replace(packaged[1], name="Renamed")
    new = replace(packaged[1], code="NEWSVC", name="New service")
    wanted = [packaged[0], renamed, new, *packaged[3:]]  # packaged[2] is dropped
    dropped = packaged[2].code
    with db.write() as conn:
        assert agencies.sync(conn, wanted) == (1, 1, 1)
    with db.read() as conn:
        assert agencies.get(conn, dropped) is None
        assert dropped not in {a.code for a in agencies.all_agencies(conn)}
        assert dropped in {a.code for a in agencies.all_agencies(conn, active_only=False)}
        assert agencies.get(conn, "NEWSVC") == new
        assert agencies.get(conn, renamed.code) == renamed
        active = agencies.all_agencies(conn)
        assert len(active) == 13
        assert active[0].code == "EMCO"  # the staff first
    with db.write() as conn:
        assert agencies.sync(conn, wanted) == (0, 0, 0)
        assert agencies.sync(conn, packaged) == (0, 2, 1)  # back, renamed back; NEWSVC goes
    with db.read() as conn:
        assert agencies.get(conn, dropped) == packaged[2]
        assert agencies.get(conn, "NEWSVC") is None


def test_a_deactivated_staff_no_longer_sees_across_services(db: Database) -> None:
    packaged = agencies.load_config(None)
    moved = [replace(a, is_staff=False) for a in packaged if a.code != "EMCO"]
    moved[0] = replace(moved[0], is_staff=True)  # the staff role passes to another code
    with db.write() as conn:
        agencies.sync(conn, moved)
        assert agencies.staff_codes(conn) == frozenset({moved[0].code})
    assert Access(db, principal("EMCO", Role.OPERATOR)).scope.agencies == frozenset({"EMCO"})
    assert Access(db, principal(moved[0].code, Role.OPERATOR)).scope.agencies is None
