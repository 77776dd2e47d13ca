"""Screens as an alerting channel: a task that fails for good shows a slide on the screens tagged ``ops``.

Included in the manual and the README from this file; ``tests/docs/test_snippets.py`` runs the DAG
with ``airflow dags test`` against the emulator and checks the slide on the ops screens.
"""

from airflow.sdk import dag, task

# --8<-- [start:alert]
from signs_provider.optisigns.notifications import OptiSignsNotifier

default_args = {"on_failure_callback": OptiSignsNotifier(tags=["ops"], minutes=15)}
# --8<-- [end:alert]


# --8<-- [start:dag]
@dag(schedule=None, default_args=default_args)
def docs_screen_alerts():
    @task(retries=0)
    def load_figures():
        raise RuntimeError("the figures feed answered 503")

    load_figures()


docs_screen_alerts()
# --8<-- [end:dag]
