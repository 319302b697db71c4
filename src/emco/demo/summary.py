"""What the platform found after `emco demo load`: a few lines, each stage adding its own.

Each later stage replaces its `None` in `FINDINGS` by a function of a staff operator's
`Access` (who sees every record) returning its lines, usually one ("Resolution: 1,234
records in 456 entities, 12 pairs to review."). The keys are those of
`emco.demo.evaluate.STAGES`, with "store" first.
"""

from collections import Counter
from collections.abc import Callable, Sequence

from emco.access import records
from emco.access.gate import Access
from emco.ingest.pipeline import IngestSummary

Finding = Callable[[Access], list[str]]


def holdings(access: Access) -> list[str]:
    """The records held: a total, then one line per service with its kinds of record."""
    census = records.census(access)
    total = sum(sum(kinds.values()) for kinds in census.values())
    lines = [f"The platform holds {total:,} record{'' if total == 1 else 's'} of "
             f"{len(census)} service{'' if len(census) == 1 else 's'}:"]
    for agency, kinds in census.items():
        ordered = sorted(kinds.items(), key=lambda kind: (-kind[1], kind[0]))
        lines.append(f"  {agency:<8} {sum(kinds.values()):>9,}  (" +
                     ", ".join(f"{schema} {n:,}" for schema, n in ordered) + ")")
    return lines


def resolution(access: Access) -> list[str]:
    from emco.resolve.service import Thresholds, overview
    from emco.settings import get_settings

    settings = get_settings()
    o = overview(access, Thresholds.of(settings))
    return [f"Resolution: {o.records:,} records in {o.entities:,} entities; "
            f"{o.merged_records:,} records joined to others (the largest entity holds "
            f"{o.largest:,}); {o.to_review:,} pairs await an operator's review."]


def deconfliction(access: Access) -> list[str]:
    from emco.deconflict.investigations import listing
    from emco.demo.grade_deconfliction import told_overlaps

    cases = listing(access)
    pairs = told_overlaps(access)
    services = len({i.agency for i in cases})
    return [f"Deconfliction: {len(cases):,} investigations of {services} services "
            f"registered; {len(pairs):,} pairs of them, of two services, share a target "
            "(one alert each, both sides told)."]


def operations(access: Access) -> list[str]:
    from emco.deconflict.operations import listing, standing
    from emco.model.enums import OperationStatus

    planned = listing(access, (OperationStatus.PLANNED,))
    services = len({s.operation.agency for s in planned})
    pairs = standing(access)
    kinds: dict[str, int] = {}
    for c in pairs:
        for k in c.kinds:
            kinds[k] = kinds.get(k, 0) + 1
    detail = ", ".join(f"{n:,} {k.replace('_', '/')}" for k, n in sorted(kinds.items()))
    return [f"Operations: {len(planned):,} planned operations of {services} services "
            f"registered; {len(pairs):,} pairs of them, of two services, in conflict"
            + (f" ({detail})" if detail else "") + " (one alert each, both sides told)."]


def networks(access: Access) -> list[str]:
    from emco.network.reading import list_networks

    found = list_networks(access)
    if not found:
        return ["Networks: none mapped (no links between three or more people)."]
    top = found[0]
    heads = ", ".join(name for _, name in top.heads[:2])
    levels = Counter(s.network.threat_level or "unassessed" for s in found)
    return [f"Networks: {len(found):,} mapped from the services' links "
            f"({', '.join(f'{n} {level}' for level, n in levels.most_common())} threat); "
            f"the most threatening, {top.network.name} ({top.network.size} members), "
            f"is led by {heads or 'nobody identified'}."]


def risk(access: Access) -> list[str]:
    from emco.demo.grade_risk import flagged
    from emco.risk.review import last_run

    run = last_run(access)
    if run is None:
        return ["Risk: no assessment run yet."]
    levels = ", ".join(f"{n:,} {level}" for level, n in run["detail"].get("by_level", {})
                       .items() if n)
    return [f"Risk: {run['persons']:,} people with signals assessed ({levels}); "
            f"{len(flagged(access)):,} under-assessed by a service's declared level "
            "(one alert each, to that service and the staff)."]


FINDINGS: dict[str, Finding | None] = {
    "store": holdings,
    "resolve": resolution,
    "deconflict": lambda access: deconfliction(access) + operations(access),
    "network": networks,
    "risk": risk,
}

STAGE_NAMES = {"resolve": "resolution", "deconflict": "deconfliction",
               "network": "network mapping", "risk": "risk assessment"}


def summary(access: Access, loaded: Sequence[IngestSummary]) -> list[str]:
    """The lines to print after a load: what is held, the rows rejected by this load,
    each existing stage's findings, and which stages do not exist yet."""
    lines: list[str] = []
    for name, finding in FINDINGS.items():
        if finding is not None:
            lines += finding(access)
        if name == "store":
            rejected = sum(s.rejected for s in loaded)
            lines.append(f"Rejected rows in this load: {rejected:,}"
                         + (" (see the quarantine files above)." if rejected else "."))
    absent = [STAGE_NAMES.get(name, name) for name, f in FINDINGS.items() if f is None]
    if absent:
        lines.append(f"Not run, as no such stage exists yet: {', '.join(absent)}.")
    return lines
