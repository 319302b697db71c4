"""Repository of the participating services."""

import re
from pathlib import Path

import yaml
from sqlalchemy import Connection, insert, select, update

from emco.errors import BadInput
from emco.model.types import Agency
from emco.store.tables import agencies


def all_agencies(conn: Connection, active_only: bool = True) -> list[Agency]:
    query = select(agencies).order_by(agencies.c.is_staff.desc(), agencies.c.code)
    if active_only:
        query = query.where(agencies.c.active.is_(True))
    return [_agency(r) for r in conn.execute(query).mappings()]


def get(conn: Connection, code: str) -> Agency | None:
    row = conn.execute(select(agencies).where(agencies.c.code == code,
                                              agencies.c.active.is_(True))).mappings().first()
    return _agency(row) if row else None


def staff_codes(conn: Connection) -> frozenset[str]:
    query = select(agencies.c.code).where(agencies.c.is_staff.is_(True),
                                          agencies.c.active.is_(True))
    return frozenset(conn.execute(query).scalars())


def sync(conn: Connection, wanted: list[Agency]) -> tuple[int, int, int]:
    """Make the table match the configuration: add, update, and deactivate (never delete:
    records keep pointing at their service). Returns (added, updated, deactivated)."""
    current = {r["code"]: r for r in conn.execute(select(agencies)).mappings()}
    added = changed = 0
    for a in wanted:
        values = {"name": a.name, "ministry": a.ministry, "contact_name": a.contact_name,
                  "contact_email": a.contact_email, "contact_phone": a.contact_phone,
                  "is_staff": a.is_staff, "active": True}
        row = current.get(a.code)
        if row is None:
            conn.execute(insert(agencies).values(code=a.code, **values))
            added += 1
        elif any(row[k] != v for k, v in values.items()):
            conn.execute(update(agencies).where(agencies.c.code == a.code).values(**values))
            changed += 1
    gone = [code for code, row in current.items()
            if row["active"] and code not in {a.code for a in wanted}]
    if gone:
        conn.execute(update(agencies).where(agencies.c.code.in_(gone)).values(active=False))
    return added, changed, len(gone)


def _agency(row: object) -> Agency:
    r = dict(row)  # type: ignore[call-overload]
    return Agency(code=r["code"], name=r["name"], ministry=r["ministry"],
                  contact_name=r["contact_name"], contact_email=r["contact_email"],
                  contact_phone=r["contact_phone"], is_staff=bool(r["is_staff"]))


PACKAGED = Path(__file__).parent.parent / "config" / "agencies.yml"
_CODE = re.compile(r"^[A-Z0-9_]{2,16}$")


def load_config(path: Path | None) -> list[Agency]:
    """Read the agencies file, naming the entry and field of any mistake."""
    path = path or PACKAGED
    if not path.is_file():
        raise BadInput(f"{path}: agencies file not found", field="EMCO_AGENCIES_FILE")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: not a readable YAML file ({exc})") from None
    entries = data.get("agencies") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise BadInput(f"{path}: expected a list under `agencies:`")
    out: list[Agency] = []
    for i, entry in enumerate(entries, 1):
        where = f"{path}: agency #{i}"
        if not isinstance(entry, dict):
            raise BadInput(f"{where}: expected code, name, ministry and contact")
        code = str(entry.get("code", ""))
        if not _CODE.fullmatch(code):  # `$` alone would let "CODE\n" through
            raise BadInput(f"{where}: code {code!r} must be 2-16 capitals, digits or _")
        contact = entry.get("contact")
        if not isinstance(contact, dict):
            raise BadInput(f"{where} ({code}): a contact point (name, email, phone) is needed")
        missing = [k for k in ("name", "ministry") if not entry.get(k)]
        missing += [f"contact.{k}" for k in ("name", "email", "phone") if not contact.get(k)]
        if missing:
            raise BadInput(f"{where} ({code}): missing {', '.join(missing)}")
        if code in {a.code for a in out}:
            raise BadInput(f"{where}: code {code} appears twice")
        out.append(Agency(code=code, name=str(entry["name"]), ministry=str(entry["ministry"]),
                          contact_name=str(contact["name"]), contact_email=str(contact["email"]),
                          contact_phone=str(contact["phone"]),
                          is_staff=bool(entry.get("staff", False))))
    return out
