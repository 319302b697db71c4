"""The network around a person, as the transfer check needs it.

Until the network stage (issue 6) maps networks, "the network around him" is the set of
resolved entities within two links of him in the services' link records (see
`emco.store.links`): his associates, relatives, callers, business partners, and theirs.
"""

from collections.abc import Iterable

from sqlalchemy import Connection

from emco.store import links

HOPS = 2


def network_around(conn: Connection, entity_ids: Iterable[str], hops: int = HOPS
                   ) -> set[str]:
    """The entities within `hops` links of `entity_ids`, these included.

    The network stage will replace this with its own communities (who belongs to the
    network of whom, beyond a fixed number of links); callers depend only on this
    signature. Not scoped: it serves the deconfliction check, which discloses none of
    the network to the services."""
    reached = set(entity_ids)
    frontier = set(reached)
    for _ in range(hops):
        if not frontier:
            break
        frontier = links.linked(conn, frontier) - reached
        reached |= frontier
    return reached
