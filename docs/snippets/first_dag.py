"""The manual's first DAG: upload an image and show it on the screens tagged ``lobby``.

Included in the manual from this file; ``tests/docs/test_snippets.py`` runs it against the emulator.
"""

# --8<-- [start:dag]
from airflow.sdk import DAG, Param

from signs_provider.optisigns.operators import OptiSignsPushToScreensOperator, OptiSignsUploadAssetOperator

with DAG(
    dag_id="docs_first_dag",
    schedule=None,
    params={"image": Param("/data/lobby.png", type="string", description="The PNG or JPEG to show")},
):
    upload = OptiSignsUploadAssetOperator(
        task_id="upload", source="{{ params.image }}", name="Lobby welcome.png"
    )
    OptiSignsPushToScreensOperator(task_id="push", asset_id=upload.output["asset_id"], tags=["lobby"])
# --8<-- [end:dag]
