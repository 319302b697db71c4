"""Places and times of operations: distances on the sphere, windows.

Pure functions, no I/O. An operation's place is a disc (centre and radius in metres) and
its time a half-open window [start, end). Two operations meet when their discs come
closer than the place margin (the clearance two teams need between them), and their
windows closer than the time margin.
"""

import math
from datetime import datetime, timedelta

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG): what haversine distances assume

# The longest window accepted: a surveillance may run for months, not for years.
MAX_WINDOW = timedelta(days=366)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def windows_meet(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime,
                 margin: timedelta = timedelta(0)) -> bool:
    """Whether two windows overlap, or leave less than `margin` between them (windows
    touching end to start, with no margin, do not meet)."""
    return a_start < b_end + margin and b_start < a_end + margin


def overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime
            ) -> tuple[datetime, datetime] | None:
    """The part of time both windows cover, if any."""
    start, end = max(a_start, b_start), min(a_end, b_end)
    return (start, end) if start < end else None

