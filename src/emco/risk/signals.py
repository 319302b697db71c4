"""Signals: typed dangerousness indicators about a person, derived from what is stored.

Two sources, both re-read at every assessment run (signals are derived data):

- **records**: an Event record whose `keywords` match a catalogue type is a signal about
  each person record it names as involved or organiser, reported by the Event's service,
  graded with the Event record's reliability and credibility, dated by the Event's `date`
  (else the record's observed date). It is attached to the person *record*: a record not
  resolved to any entity yet keeps its signal, which joins the person when resolution
  puts the record in an entity.
- **network roles**: a head or lieutenant of a network of the latest network mapping
  (`network_members.role`) gets the catalogue's `network_roles.signal`, reported by the
  staff itself, graded as its analysis (`network_roles.grade`), dated by the run. The
  role's share of the weight (`roles:`) is kept in `detail` and applied by the scoring.
"""

import pandas as pd
from sqlalchemy import Connection

from emco.risk.catalogue import Catalogue
from emco.store import risk as repo
from emco.store.risk import SIGNAL_COLUMNS

ROLE_PREFIX = "role:"  # detail of a network-role signal: "role:head:0.6:R0001"


def derive(conn: Connection, catalogue: Catalogue, staff_agency: str) -> pd.DataFrame:
    """Every signal the store holds evidence of, as rows of `SIGNAL_COLUMNS`."""
    frames = [f for f in (from_records(conn, catalogue),
                          from_networks(conn, catalogue, staff_agency)) if not f.empty]
    if not frames:
        return pd.DataFrame([], columns=list(SIGNAL_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def from_records(conn: Connection, catalogue: Catalogue) -> pd.DataFrame:
    found = repo.incidents(conn)
    types = catalogue.by_keyword()
    found["type"] = found["keyword"].str.strip().str.lower().map(types)
    found = found[found["type"].notna()].copy()
    stated = pd.to_datetime(found["date_text"].astype("string").str.slice(0, 10),
                            errors="coerce", format="%Y-%m-%d")
    found["observed_on"] = stated.dt.date.where(stated.notna(), found["observed_on"])
    found = found.drop_duplicates(["event_id", "party_id", "type"])
    return pd.DataFrame({
        "record_id": found["party_id"].astype("Int64"), "entity_id": None,
        "type": found["type"], "agency_code": found["agency_code"],
        "observed_on": found["observed_on"], "reliability": found["reliability"],
        "credibility": found["credibility"],
        "source_record_id": found["event_id"].astype("Int64"), "origin": "record",
        "detail": found["keyword"]}, columns=list(SIGNAL_COLUMNS))


def from_networks(conn: Connection, catalogue: Catalogue, staff_agency: str
                  ) -> pd.DataFrame:
    members, finished = repo.network_roles(conn)
    spec = catalogue.network_roles
    members = members[members["role"].isin(list(spec.roles))]
    if members.empty or finished is None:
        return pd.DataFrame([], columns=list(SIGNAL_COLUMNS))
    share = members["role"].map(spec.roles)
    return pd.DataFrame({
        "record_id": pd.array([pd.NA] * len(members), dtype="Int64"),
        "entity_id": members["entity_id"], "type": spec.signal,
        "agency_code": staff_agency, "observed_on": finished.date(),
        "reliability": spec.grade[0], "credibility": spec.grade[1],
        "source_record_id": pd.array([pd.NA] * len(members), dtype="Int64"),
        "origin": "network",
        "detail": ROLE_PREFIX + members["role"] + ":" + share.astype(str) + ":"
        + members["network_id"]}, columns=list(SIGNAL_COLUMNS))


def role_share(detail: pd.Series) -> pd.Series:
    """The share of its type's weight each signal carries: a network role's (from its
    detail), 1.0 for a record's."""
    is_role = detail.str.startswith(ROLE_PREFIX, na=False)
    shares = detail.where(is_role, "").str.split(":").str[2]
    return pd.to_numeric(shares, errors="coerce").where(is_role, 1.0).fillna(1.0)
