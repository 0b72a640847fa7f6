"""Which days have landed: the one definition every reader uses."""

from __future__ import annotations

from data_factory.core.errors import FactoryError
from data_factory.core.partitions import parse_partition
from data_factory.core.paths import FactoryPaths

MANIFEST_NAME = "_manifest.json"


def landed_days(paths: FactoryPaths) -> list[str]:
    """The `dt=YYYY-MM-DD` folders of the ticket landing that hold a landing
    manifest, sorted. A folder whose name is not a real day is not a day."""
    root = paths.tickets_partition_dir("0000-00-00").parent
    found = []
    for folder in root.glob("dt=*"):
        if not (folder.is_dir() and (folder / MANIFEST_NAME).exists()):
            continue
        try:
            found.append(parse_partition(folder.name.removeprefix("dt=")))
        except FactoryError:
            continue
    return sorted(found)
