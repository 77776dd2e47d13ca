"""Operators with an asset outlet, so that other DAGs can be scheduled on "screen content updated"."""

from airflow.sdk import DAG, Param

with DAG(
    dag_id="docs_optisigns_outlets", schedule=None, params={"image": Param("/data/kpis.png", type="string")}
):
    # --8<-- [start:outlets]
    from signs_provider.optisigns.operators import (
        OptiSignsPushToScreensOperator,
        OptiSignsUploadAssetOperator,
    )
    from signs_provider.optisigns.outlets import screens_tag_asset

    upload = OptiSignsUploadAssetOperator(
        task_id="upload", source="{{ params.image }}", name="Lobby KPIs.png"
    )
    push = OptiSignsPushToScreensOperator(
        task_id="push",
        asset_id=upload.output["asset_id"],
        tags=["lobby"],
        outlets=[screens_tag_asset("lobby")],
    )
    # --8<-- [end:outlets]
