"""`factory lineage`: the factory runs of a home, chosen by day, sent as
OpenLineage RunEvents through the client's own transports: a file per run
under <home>/lineage/ by default, an OpenLineage HTTP endpoint when given."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openlineage.client import OpenLineageClient
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport

from data_factory.core.errors import FactoryError, LineageNotDelivered, home_not_writable
from data_factory.core.paths import FactoryPaths
from data_factory.evidence.files import evidence_files, load_evidence, order_key
from data_factory.lineage.events import run_events

# one attempt and one retry per event: an unreachable endpoint is reported in
# seconds, not after the client's default of five retries with back-off
HTTP_RETRY = {"total": 1, "connect": 1, "read": 1, "backoff_factor": 0.2}


def lineage_dir(paths: FactoryPaths) -> Path:
    return paths.home / "lineage"


def run_days(document: dict) -> list[str]:
    """The days a run is selected by: its partitions; a run that built no
    partition (only unpartitioned assets), the day it finished."""
    return document["partitions"] or [document["finished_at"][:10]]


@dataclass
class Selection:
    documents: list[dict] = field(default_factory=list)
    invalid: list[Path] = field(default_factory=list)


def select_runs(paths: FactoryPaths, since: str | None, until: str | None) -> Selection:
    """The factory runs with a day in [since, until], oldest first; evidence
    files that fail `factory validate`'s checks are set aside, never sent."""
    selection = Selection()
    for path in evidence_files(paths):
        loaded = load_evidence(path)
        if not loaded.valid:
            selection.invalid.append(path)
            continue
        document = loaded.document
        if document["kind"] != "factory_run":
            continue
        days = run_days(document)
        if any((since is None or day >= since) and (until is None or day <= until) for day in days):
            selection.documents.append(document)
    selection.documents.sort(key=order_key)
    return selection


def _file_client(target: Path) -> OpenLineageClient:
    """A client whose file transport writes one run's events alone to
    `target`, a JSON line each (append mode: the transport's other mode adds
    a timestamp to each file name, so emitting again would add files)."""
    target.unlink(missing_ok=True)  # emitting again replaces the run's events
    return OpenLineageClient(transport=FileTransport(FileConfig(str(target), append=True)))


def _http_client(url: str) -> OpenLineageClient:
    try:
        transport = HttpTransport(HttpConfig(url=url, retry=HTTP_RETRY))
    except ValueError as exc:
        raise FactoryError("INVALID_OPTION", f"--url {url}: {exc}") from None
    return OpenLineageClient(transport=transport)


def emit_runs(
    paths: FactoryPaths, documents: list[dict], manifest: dict, url: str | None = None
) -> Iterator[tuple[dict, str]]:
    """Emit each document's events (the run's, then its models'), oldest
    run first; yield (document, where they went, how many). A refused event
    stops the rest (LINEAGE_NOT_DELIVERED)."""
    http = _http_client(url) if url else None
    delivered = 0
    for document in documents:
        events = run_events(document, manifest, paths)
        if http is None:
            lineage_dir(paths).mkdir(parents=True, exist_ok=True)
            target = lineage_dir(paths) / f"{document['run_id']}.json"
            try:
                client = _file_client(target)
                for event in events:
                    client.emit(event)
            except OSError as exc:
                raise home_not_writable(paths.home, exc) from None
            except RuntimeError as exc:  # how the file transport reports an OSError
                if isinstance(exc.__cause__, OSError):
                    raise home_not_writable(paths.home, exc.__cause__) from None
                raise
            yield document, str(target), len(events)
            continue
        for event in events:
            try:
                http.emit(event)
            except Exception as exc:  # requests' errors, or the status the endpoint answered
                raise LineageNotDelivered(
                    "LINEAGE_NOT_DELIVERED",
                    f"the OpenLineage endpoint {url} did not take an event of run "
                    f"{document['run_id']}: {exc}. {delivered} event(s) before it were "
                    "delivered; emitting again sends the same events (same run ids)",
                ) from None
            delivered += 1
        yield document, url, len(events)
