"""Airflow Assets standing for OptiSigns content."""

from __future__ import annotations

import pytest
from airflow.sdk import DAG, Asset

from signs_provider.optisigns.outlets import playlist_asset, screen_asset, screens_tag_asset


def test_asset_uris() -> None:
    assert screens_tag_asset("lobby") == Asset("optisigns://screens/tag/lobby")
    assert screen_asset("6682d6d553fca60012953e17").uri == "optisigns://screens/6682d6d553fca60012953e17"
    assert playlist_asset("Lobby KPIs").uri == "optisigns://playlists/Lobby%20KPIs"
    with pytest.raises(ValueError, match="tag"):
        screens_tag_asset(" ")


def test_a_dag_can_be_scheduled_on_screen_content() -> None:
    with DAG("after_lobby_update", schedule=[screens_tag_asset("lobby")]) as dag:
        pass
    assert [a.uri for a in dag.timetable.asset_condition.objects] == ["optisigns://screens/tag/lobby"]
