"""The demonstration data set: one file per service, each loaded whole and only once."""

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from emco.demo import load
from emco.ingest.pipeline import IngestSummary, ingest
from emco.model.enums import BatchStatus
from emco.settings import Settings
from emco.store import agencies
from emco.store.db import Database
from emco.store.tables import records, statements

SAMPLES = Path(load.__file__).parent / "samples"


def _services() -> set[str]:
    return {a.code for a in agencies.load_config(None) if not a.is_staff}


def _load(db: Database, settings: Settings) -> dict[str, IngestSummary]:
    results = load.load_folder(db, SAMPLES, lambda access, request: ingest(
        access, request, region="FR", retention_years=20,
        quarantine_dir=settings.quarantine_dir, chunk_size=1000, workers=0))
    return {entry.agency: summary for entry, summary in results}


@pytest.fixture
def loaded(db: Database, settings: Settings,
           seeded: Callable[..., dict[str, IngestSummary]]) -> dict[str, IngestSummary]:
    """The samples loaded once (per module and backend): what each service's load said."""
    return seeded("samples", lambda: _load(db, settings))


def test_manifest_lists_each_service_once() -> None:
    entries = load.read_manifest(SAMPLES)
    codes = [e.agency for e in entries]
    assert sorted(codes) == sorted(_services())
    assert "EMCO" not in codes  # the staff shares nothing of its own
    for entry in entries:
        assert entry.path.is_file(), entry.path
        if entry.path.suffix == ".csv":
            assert entry.mapping is not None, entry.agency
            assert entry.mapping.is_file(), entry.mapping
        else:
            assert entry.mapping is None, entry.agency


def test_every_row_of_every_file_is_accepted(loaded: dict[str, IngestSummary]) -> None:
    summaries = loaded
    assert set(summaries) == _services()
    for agency, s in summaries.items():
        assert s.rejected == 0, (agency, s.first_errors)
        assert s.status == BatchStatus.COMPLETE, agency
        assert s.accepted > 0, agency
        assert s.created > 0, agency


def test_loading_again_creates_nothing(db: Database, settings: Settings,
                                       loaded: dict[str, IngestSummary]) -> None:
    first = loaded
    again = _load(db, settings)
    for agency, s in again.items():
        assert s.rejected == 0, (agency, s.first_errors)
        assert s.created == 0, agency
        assert s.updated == 0, agency
        assert s.accepted == first[agency].accepted, agency
        # `accepted` counts a record each time a row names it (the call records name a
        # line's subscriber on every call); each stored record is found unchanged once.
        assert s.unchanged == first[agency].created, agency
        assert s.unchanged <= s.accepted, agency


def test_links_point_at_records_of_the_same_service(db: Database,
                                                    loaded: dict[str, IngestSummary]) -> None:
    with db.read() as conn:
        known = {(r.agency_code, r.source_id)
                 for r in conn.execute(sa.select(records.c.agency_code, records.c.source_id))}
        links = conn.execute(
            sa.select(records.c.agency_code, records.c.source_id, statements.c.prop,
                      statements.c.value)
            .join(statements, statements.c.record_id == records.c.id)
            .where(statements.c.prop_type == "entity",
                   statements.c.retired_batch_id.is_(None))).all()
    assert links
    dangling = [tuple(link) for link in links if (link.agency_code, link.value) not in known]
    assert dangling == []


def test_every_record_has_its_collection_date(db: Database,
                                              loaded: dict[str, IngestSummary]) -> None:
    # Without one, the retention date counts from the day of loading, and the same file
    # loaded on another day would read as changed.
    with db.read() as conn:
        undated = conn.execute(sa.select(records.c.agency_code, records.c.source_id)
                               .where(records.c.observed_on.is_(None))).all()
    assert undated == []

