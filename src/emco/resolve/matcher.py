"""Real-time matching: a new record against everything already resolved, without
running the batch again. Candidates come from the blocking keys indexed in the store
(the same keys the batch blocks on); each is scored in-process with the trained model's
weights."""

from typing import Any

from sqlalchemy import Connection

from emco.resolve.comparisons import BLOCK_CAP
from emco.resolve.features import person_keys
from emco.resolve.model import Score, Scorer
from emco.store import resolution as repo

KIND = "person"


def match(conn: Connection, scorer: Scorer, record_id: int, features: dict[str, Any]
          ) -> list[tuple[int, Score]]:
    """Every record sharing a blocking key with this one, with its score."""
    found = repo.candidates(conn, person_keys(features), exclude=record_id,
                            cap=BLOCK_CAP, uncapped=("ph", "id"))
    if not found:
        return []
    others = dict(repo.features(conn, KIND, found))
    return [(other, scorer.score(features, row)) for other, row in others.items()]
