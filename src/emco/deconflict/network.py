"""The network around a person, as the transfer check needs it.

"The network around him" is the members of the networks he belongs to, as the network
stage last mapped them (`emco.store.networks.network_mates`), and the resolved entities
within two links of him in the services' link records (`emco.store.links`): his
associates, relatives, callers, business partners, and theirs, mapped or not yet.
"""

from collections.abc import Iterable

from sqlalchemy import Connection

from emco.store import links, networks

HOPS = 2


def network_around(conn: Connection, entity_ids: Iterable[str], hops: int = HOPS
                   ) -> set[str]:
    """The entities within `hops` links of `entity_ids` and their networks' members,
    these included. Not scoped: it serves the deconfliction check, which discloses none
    of the network to the services."""
    start = set(entity_ids)
    reached = set(start)
    frontier = set(reached)
    for _ in range(hops):
        if not frontier:
            break
        frontier = links.linked(conn, frontier) - reached
        reached |= frontier
    return reached | networks.network_mates(conn, start)
