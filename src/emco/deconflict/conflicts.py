"""Finding the conflicts between two services' operations.

Three kinds (`ConflictKind`), each symmetric in the two operations, so that checking
either one finds the same conflict with the same evidence:

- place and time: the discs come closer than the place margin and the windows closer
  than the time margin;
- surveillance: one of the two is a surveillance, they share a target (the same resolved
  entity, or the same normalised identifier) and their windows meet (time margin);
- transfer: one moves a detainee (transfer, extraction) and the other, starting within a
  day of the move, aims at the network around him (`network_around`).

Operations of one service never conflict with each other: a service deconflicts its own.
Only planned operations are checked. The check of one operation reads the store a fixed
number of times, whatever the number of operations (see `Scan`).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection

from emco.deconflict.network import network_around
from emco.deconflict.operation_input import MAX_RADIUS_M
from emco.deconflict.spatial import distance_m, overlap, windows_meet
from emco.model.enums import ConflictKind, OperationKind, OperationStatus
from emco.settings import Settings
from emco.store import operation_targets
from emco.store import operations as repo
from emco.store.operation_targets import Holding
from emco.store.operations import Near, OperationRow
from emco.store.targets import Designated, TargetRow

MOVES = (OperationKind.TRANSFER, OperationKind.EXTRACTION)
TRANSFER_REACH = timedelta(days=1)  # an operation starting this close to a move


@dataclass(frozen=True)
class Margins:
    """How close two operations may come: the clearance between their areas, and the
    time between their windows (settings EMCO_DECONFLICT_*)."""

    place_m: int = 200
    time: timedelta = timedelta(minutes=60)

    @classmethod
    def of(cls, settings: Settings) -> "Margins":
        return cls(settings.deconflict_place_margin_m,
                   timedelta(minutes=settings.deconflict_time_margin_minutes))


@dataclass
class Finding:
    """A conflict between two operations (`left.id` < `right.id`) and its evidence."""

    left: OperationRow
    right: OperationRow
    kinds: list[ConflictKind]
    distance_m: float
    window: tuple[datetime, datetime] | None  # the time both windows cover, if any
    # per operation id: its targets that matched the other operation's (surveillance)
    # or the network of the move (transfer)
    matched: dict[int, list[TargetRow]] = field(default_factory=dict)
    shared: list[str] = field(default_factory=list)  # the designations met (staff only)

    @property
    def pair(self) -> tuple[int, int]:
        return self.left.id, self.right.id


class Targets:
    """The targets of some operations and what each designates, read on demand and
    kept; with the network around each target (for moves)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._of: dict[int, list[TargetRow]] = {}
        self._des: dict[int, set[str]] = {}
        self._reach: dict[int, set[str]] = {}

    def read(self, op_ids: Iterable[int]) -> None:
        """Read the targets of these operations (those not read yet) at once."""
        wanted = sorted(set(op_ids) - set(self._of))
        if not wanted:
            return
        found = operation_targets.of_operations(self.conn, wanted)
        des = operation_targets.designations(self.conn, [t.id for ts in found.values()
                                                          for t in ts])
        self._of.update(found)
        self._des.update((t.id, des.get(t.id, set())) for ts in found.values() for t in ts)

    def of(self, op_id: int) -> list[TargetRow]:
        self.read([op_id])
        return self._of[op_id]

    def designations(self, target: TargetRow) -> set[str]:
        return self._des[target.id]

    def designated(self, op_id: int) -> set[str]:
        return set().union(*(self._des[t.id] for t in self.of(op_id)))

    def reach(self, target: TargetRow) -> set[str]:
        """What a target designates, and the network around the entities among it."""
        if target.id not in self._reach:
            own = self._des[target.id]
            self._reach[target.id] = own | network_around(
                self.conn, Designated.of(own).entities)
        return self._reach[target.id]


class Scan:
    """What the check of one operation reads: its targets, the operations of other
    services whose targets designate what its own designate (`sharing`), and, when a move
    is involved, those whose targets lie in the network around its own (`reaching`).

    Being within two links is symmetric, so that the operations aiming at the network
    around a move's detainee are found from either side: from the move, through the
    network around its detainee; from the other, through the network around its own
    targets, which holds the detainee."""

    def __init__(self, conn: Connection, margins: Margins, op: OperationRow,
                 known: Targets | None = None) -> None:
        self.conn, self.margins, self.op = conn, margins, op
        self.targets = known or Targets(conn)
        own = self.targets.designated(op.id)
        self.sharing: Holding = operation_targets.designating(conn, own) if own else {}
        self._reaching: Holding | None = None

    def reaching(self) -> Holding:
        if self._reaching is None:
            own = self.targets.designated(self.op.id)
            reach = set().union(*(self.targets.reach(t) for t in self.targets.of(self.op.id)))
            extra = operation_targets.designating(self.conn, reach - own) if reach - own \
                else {}
            self._reaching = {o: {**self.sharing.get(o, {})} for o in self.sharing}
            for owner, held in extra.items():
                mine = self._reaching.setdefault(owner, {})
                for tid, des in held.items():
                    mine[tid] = mine.get(tid, set()) | des
        return self._reaching

    def aimed(self) -> Holding:
        """The operations known so far to aim at what the scanned one's targets designate
        (or at the network around them, once `reaching` was asked)."""
        return self._reaching if self._reaching is not None else self.sharing


def candidates(scan: Scan) -> dict[int, OperationRow]:
    """Planned operations of other services that may conflict with the scanned one:
    near in place and time, sharing a target, or starting within a day of a move (either
    side) and aiming at the network around its detainee."""
    op, m = scan.op, scan.margins
    near = repo.meeting_in_time(scan.conn, op.starts_at, op.ends_at, m.time, Near(
        op.latitude, op.longitude, op.radius_m + m.place_m, MAX_RADIUS_M))
    found = {o.id: o for o in near}
    ids = set(scan.sharing)
    day = (op.starts_at - TRANSFER_REACH, op.starts_at + TRANSFER_REACH)
    if repo.any_starting(scan.conn, *day, other_than=op.agency,
                         kinds=() if op.kind in MOVES else MOVES):
        ids |= set(scan.reaching())  # those not starting that day are set aside below
    found.update(repo.unscoped(scan.conn, ids - set(found)))
    return {i: o for i, o in found.items() if i != op.id and o.agency != op.agency
            and o.status == OperationStatus.PLANNED}


def assess(scan: Scan, other: OperationRow) -> Finding | None:
    """The conflict between the scanned operation and another, if any."""
    op, m = scan.op, scan.margins
    planned = OperationStatus.PLANNED
    if op.agency == other.agency or op.status != planned or other.status != planned:
        return None
    left, right = (op, other) if op.id < other.id else (other, op)
    distance = distance_m(left.latitude, left.longitude, right.latitude, right.longitude)
    in_time = windows_meet(left.starts_at, left.ends_at, right.starts_at, right.ends_at,
                           m.time)
    finding = Finding(left, right, [], round(distance, 1),
                      overlap(left.starts_at, left.ends_at, right.starts_at, right.ends_at))
    if in_time and distance <= left.radius_m + right.radius_m + m.place_m:
        finding.kinds.append(ConflictKind.PLACE_TIME)
    if OperationKind.SURVEILLANCE in (op.kind, other.kind) and in_time:
        _surveillance(scan, other, finding)
    _moves(scan, other, finding)
    return finding if finding.kinds else None


def _surveillance(scan: Scan, other: OperationRow, finding: Finding) -> None:
    theirs = scan.sharing.get(other.id, {})
    shared = set().union(*theirs.values()) if theirs else set()
    if not shared:
        return
    finding.kinds.append(ConflictKind.SURVEILLANCE)
    finding.shared = sorted(set(finding.shared) | shared)
    known = scan.targets
    _match(finding, scan.op.id, [t for t in known.of(scan.op.id)
                                 if known.designations(t) & shared])
    _match(finding, other.id, [t for t in known.of(other.id) if t.id in theirs])


def _moves(scan: Scan, other: OperationRow, finding: Finding) -> None:
    """A move on one side, the other starting within a day and aiming at the network
    around the moved man. The evidence is always taken from the move's side (the network
    around each of its targets), so that either side's check records the same."""
    op, known = scan.op, scan.targets
    if abs(other.starts_at - op.starts_at) >= TRANSFER_REACH or not (
            op.kind in MOVES or other.kind in MOVES) or other.id not in scan.reaching():
        return
    hit = False
    for mover, aimed in ((op, other), (other, op)):
        if mover.kind not in MOVES:
            continue
        theirs = known.designated(aimed.id)
        for target in known.of(mover.id):
            met = known.reach(target) & theirs
            if met:
                hit = True
                finding.shared = sorted(set(finding.shared) | met)
                _match(finding, mover.id, [target])
                _match(finding, aimed.id, [t for t in known.of(aimed.id)
                                           if known.designations(t) & met])
    if hit:
        finding.kinds.append(ConflictKind.TRANSFER)


def _match(finding: Finding, op_id: int, found: list[TargetRow]) -> None:
    have = finding.matched.setdefault(op_id, [])
    have += [t for t in found if t.id not in {h.id for h in have}]
    have.sort(key=lambda t: t.id)


def find(conn: Connection, margins: Margins, op: OperationRow,
         known: Targets | None = None) -> dict[int, Finding]:
    """The conflicts of `op` with other services' planned operations, by their ids."""
    if op.status != OperationStatus.PLANNED:
        return {}
    scan = Scan(conn, margins, op, known)
    found: dict[int, Finding] = {}
    others = candidates(scan)
    # The targets of those that share a target or aim at a network are read at once.
    scan.targets.read(set(others) & set(scan.aimed()))
    for other_id in sorted(others):
        finding = assess(scan, others[other_id])
        if finding is not None:
            found[other_id] = finding
    return found
