"""Event-driven DAGs: a run per signed OpenSign document, and a run when lobby screens go offline.

Included in the manual and the README from this file; ``tests/docs/test_snippets.py`` parses both
DAGs and runs both watchers' triggers against the emulator.
"""

# --8<-- [start:asset]
from airflow.sdk import AssetWatcher, dag, task

from signs_provider.opensign.events import OpenSignDocumentEventTrigger, opensign_documents_asset

signed = opensign_documents_asset(  # opensign://opensign_default/documents/completed
    "opensign_default",
    "completed",
    watchers=[AssetWatcher(name="docs_signed", trigger=OpenSignDocumentEventTrigger(poll_interval=300))],
)
# --8<-- [end:asset]


# --8<-- [start:dag]
@dag(schedule=[signed])
def docs_on_signature():
    @task
    def file_it(*, triggering_asset_events=None):
        for event in triggering_asset_events[signed]:  # from the receiver or from the watcher
            print("signed:", event.extra["payload"]["document_id"], event.extra["payload"]["title"])

    file_it()


docs_on_signature()
# --8<-- [end:dag]

# --8<-- [start:screens]
from airflow.sdk import Asset  # noqa: E402

from signs_provider.optisigns.events import OptiSignsScreensStatusTrigger  # noqa: E402

lobby_screens = Asset(
    "docs_lobby_screens",
    watchers=[
        AssetWatcher(
            name="docs_lobby_screens",
            trigger=OptiSignsScreensStatusTrigger(tag="lobby", offline_after=300, poll_interval=60),
        )
    ],
)


@dag(schedule=[lobby_screens])
def docs_lobby_screens_changed():
    @task
    def report(*, triggering_asset_events=None):
        for event in triggering_asset_events[lobby_screens]:
            print("offline:", event.extra["went_offline"], "back:", event.extra["came_back"])

    report()


docs_lobby_screens_changed()
# --8<-- [end:screens]
