"""The OptiSigns button: one URL table, and the link read back from the task's XCom."""

from __future__ import annotations

import pytest

from signs_provider.optisigns.links import LINK_XCOM_KEY, OPTISIGNS_APP_URLS, OptiSignsLink, optisigns_app_url
from signs_provider.optisigns.operators import OptiSignsPushToScreensOperator, OptiSignsUploadAssetOperator
from signs_provider.optisigns.sensors import OptiSignsAssetReadySensor


def test_app_urls() -> None:
    assert (
        optisigns_app_url("asset", "uRQynMhDsJ6QY35Wf")
        == "https://app.optisigns.com/app/assets/uRQynMhDsJ6QY35Wf"
    )
    assert optisigns_app_url("playlist", "a/b") == "https://app.optisigns.com/app/playlists/a%2Fb"
    assert set(OPTISIGNS_APP_URLS) == {"asset", "playlist", "screen", "schedule"}
    with pytest.raises(ValueError, match="kind"):
        optisigns_app_url("folder", "x")


def test_link_reads_the_url_the_task_stored(monkeypatch) -> None:
    from airflow.providers.common.compat.sdk import XCom

    seen = {}

    def get_value(*, key, ti_key):
        seen.update(key=key, ti_key=ti_key)
        return "https://app.optisigns.com/app/assets/x"

    # XCom lives in the metadata DB / execution API; the link's only job is to read this key.
    monkeypatch.setattr(XCom, "get_value", staticmethod(get_value))
    link = OptiSignsLink()
    assert link.name == "OptiSigns"
    assert link.get_link(OptiSignsUploadAssetOperator(task_id="u", source="x.png"), ti_key="key") == (
        "https://app.optisigns.com/app/assets/x"
    )
    assert seen == {"key": LINK_XCOM_KEY, "ti_key": "key"}


def test_operators_and_sensors_carry_the_link() -> None:
    for op in (
        OptiSignsUploadAssetOperator(task_id="u", source="x.png"),
        OptiSignsPushToScreensOperator(task_id="p", asset_id="a", tags=["t"]),
        OptiSignsAssetReadySensor(task_id="s", asset_id="a"),
    ):
        assert [type(link) for link in op.operator_extra_links] == [OptiSignsLink]
