"""A full resolution with training, in-process, without the stages that follow it
(networks, dangerousness, deconfliction are not imported, so none listens on
`ON_CHANGE`). Prints the run's summary as JSON. Used by `resolve_scale.py
--resolution-only`; the store is the one `EMCO_DATA_DIR` or `EMCO_DATABASE_URL` names."""

import json

from emco.cli_common import staff
from emco.model.enums import Protection, Role
from emco.resolve.service import ON_CHANGE, Thresholds, resolve
from emco.settings import get_settings
from emco.store.db import Database


def main() -> None:
    settings = get_settings()
    db = Database(settings.database_url)
    assert not ON_CHANGE, f"stages listening: {ON_CHANGE}"
    summary = resolve(staff(db, Role.OPERATOR, Protection.DR), Thresholds.of(settings),
                      full=True, retrain=True, workers=settings.workers)
    print(json.dumps(summary.to_dict()))


if __name__ == "__main__":
    main()
