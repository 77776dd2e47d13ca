"""OpenLineage facets (issue 13 part 5): datasets named as OpenLineage names them where the OpenLineage
provider is installed, and nothing at all (no import, ``None``) where it is not."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from signs_provider.common import lineage

OPENLINEAGE_MODULES = (
    "openlineage",
    "openlineage.client",
    "openlineage.client.event_v2",
    "airflow.providers.openlineage",
    "airflow.providers.openlineage.extractors",
)


@pytest.fixture
def without_openlineage(monkeypatch):
    """The OpenLineage provider and client not installed: importing them raises ImportError."""
    for name in OPENLINEAGE_MODULES:
        monkeypatch.setitem(sys.modules, name, None)


def named(ds) -> tuple[str, str]:
    return ds.namespace, ds.name


def test_files_urls_and_object_storage_are_named_as_openlineage_names_them(tmp_path) -> None:
    pytest.importorskip("openlineage.client.event_v2")
    from airflow.sdk import ObjectStoragePath

    local = tmp_path / "menu.png"
    assert named(lineage.source_dataset(str(local))) == ("file", str(local))
    assert named(lineage.source_dataset(local)) == ("file", str(local))
    assert named(lineage.source_dataset(f"file://{local}")) == ("file", str(local))
    assert named(lineage.source_dataset("s3://bucket/menus/today.png")) == ("s3://bucket", "menus/today.png")
    # (a local ObjectStoragePath: an s3:// one would import s3fs, seconds for nothing more)
    assert named(lineage.source_dataset(ObjectStoragePath(f"file://{local}"))) == ("file", str(local))
    # A feed's key in its query or user info never reaches the lineage backend.
    assert named(lineage.source_dataset("https://user:pw@example.com:8443/feed.xml?apikey=s3cr3t")) == (
        "https://example.com:8443",
        "/feed.xml",
    )
    assert lineage.source_dataset(b"%PDF-1.4") is None
    assert lineage.url_dataset("not a url") is None
    assert lineage.api_namespace("opensign", "https://sandbox.opensignlabs.com/api/v1.2") == (
        "opensign://sandbox.opensignlabs.com"
    )


def test_the_facets_are_an_operator_lineage_that_serialises() -> None:
    pytest.importorskip("airflow.providers.openlineage")
    from airflow.providers.openlineage.extractors import OperatorLineage
    from openlineage.client.serde import Serde

    built = lineage.operator_lineage(
        [lineage.dataset("file", "/data/menu.png"), None],
        [lineage.dataset("optisigns://api.optisigns.com", "assets/a1")],
    )
    assert isinstance(built, OperatorLineage)
    assert [named(d) for d in built.inputs] == [("file", "/data/menu.png")]
    assert '"namespace": "optisigns://api.optisigns.com"' in Serde.to_json(built.outputs[0])


def test_without_openlineage_everything_is_none(without_openlineage, tmp_path) -> None:
    assert lineage.dataset("file", "/x") is None
    assert lineage.source_dataset(str(tmp_path)) is None
    assert lineage.operator_lineage([], []) is None


def test_a_failure_to_build_never_fails_the_task(caplog) -> None:
    def broken():
        raise KeyError("boom")

    assert lineage.safely(broken, "task t") is None
    assert "Could not build the OpenLineage facets of task t" in caplog.text


def test_importing_the_operators_does_not_import_openlineage() -> None:
    """Airflow's provider manager imports the OpenLineage provider's package info by itself; the
    operators add nothing of OpenLineage to it (DAG files import them at every parse)."""
    code = (
        "import sys\n"
        "import airflow.sdk\n"
        "def ol(): return {m for m in sys.modules if m.startswith(('openlineage', 'airflow.providers.openlineage'))}\n"
        "before = ol()\n"
        "import signs_provider.optisigns.operators, signs_provider.opensign.operators\n"
        "import signs_provider.common.lineage\n"
        "assert ol() == before, sorted(ol() - before)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)


def extracted(operator, task_instance=None):
    """What the OpenLineage provider's own extractor manager reports for a finished task."""
    from airflow.providers.openlineage.extractors.manager import ExtractorManager
    from airflow.utils.state import TaskInstanceState

    dagrun = SimpleNamespace(run_id="manual__1")
    ti = task_instance or SimpleNamespace(task=operator, dag_id="dag", task_id=operator.task_id)
    return ExtractorManager().extract_metadata(dagrun, operator, TaskInstanceState.SUCCESS, ti)
