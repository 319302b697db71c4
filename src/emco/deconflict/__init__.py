"""Deconfliction: investigations and their targets, overlaps between services, hit/no-hit.

Importing the package subscribes target deconfliction to resolution's changes of
entities (a merge may make two services' targets one person).
"""

from emco.deconflict.overlaps import on_entities_changed
from emco.resolve.service import ON_CHANGE

if on_entities_changed not in ON_CHANGE:
    ON_CHANGE.append(on_entities_changed)
