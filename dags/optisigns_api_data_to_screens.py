"""Put live API data on OptiSigns screens, every hour.

fetch_data --> to_rows --> render_image --> upload --> wait_until_ready --> sync_playlist --> assign_to_screens
                                                                                        --> cleanup_old_assets

1. ``fetch_data``: GET a JSON feed through the Airflow HTTP connection ``signs_feeds``.
2. ``to_rows``: keep what a screen can show at a glance (OptiSync calls this post-processing).
3. ``render_image``: draw a 1920x1080 PNG with Pillow into this run's folder (see below).
4. ``upload``: check that the file is the one ``render_image`` wrote (path and SHA-256 from XCom), then
   upload it to OptiSigns as the asset "Lobby KPIs.png" (streamed, never in memory).
5. ``wait_until_ready``: wait (deferred: no worker slot held) until OptiSigns has converted it.
6. ``sync_playlist``: make the playlist "Lobby KPIs" hold exactly this image; the image of the
   previous run leaves the playlist and is deleted, so re-runs replace content instead of piling up.
7. ``assign_to_screens``: make the playlist the content of every screen tagged "lobby" (its lasting
   setting, one ``updateDevice`` per screen: the call OptiSigns documents; a retry sets the same content
   again, so it never doubles anything). Its outlet ``optisigns://screens/tag/lobby`` lets other DAGs
   run when the lobby screens change. ``OptiSignsPushToScreensOperator`` would reach them in one call,
   but ``pushToScreens`` rests on an unshipped draft of OptiSigns' SDK: a sample that must work on any
   account uses only what OptiSigns documents.
8. ``cleanup_old_assets``: a teardown of ``upload``: it runs once the upload succeeded, even when a
   later step failed (an image that failed to convert leaves an asset behind), and deletes this DAG's
   assets older than a day that no playlist, schedule or screen uses. Being a teardown, its success
   never hides a failure: a run where any other step failed ends ``failed``.

Connections:

* ``optisigns_default`` (type ``optisigns``): your API key from app.optisigns.com > API Keys.
* ``signs_feeds`` (type ``http``): where the data comes from. With the local emulator
  (``signs-emulator`` prints both connections) it serves a sample KPI feed at ``<host>/kpis``.
  To use a real API, change only this connection's host and, if needed, the ``endpoint`` param;
  ``to_rows`` shows any JSON object, and shows a ``{"kpis": [{"label", "value", ...}]}`` feed best
  (values may be numbers or text).

Files: the image goes to ``<work folder>/optisigns_api_data_to_screens/<run_id>/lobby-kpis.png``. The
work folder is the ``work_folder`` Param, else the Airflow Variable ``signs_work_folder``, else
``$AIRFLOW_HOME/signs-work``: set the Variable (or ``AIRFLOW_VAR_SIGNS_WORK_FOLDER``) to an
``s3://aws_default@bucket/prefix`` URL when workers share no disk. An ``s3://`` URL needs
``apache-airflow-providers-amazon[s3fs]`` on the workers and the ``aws`` connection named before the
``@`` (e.g. ``AIRFLOW_CONN_AWS_DEFAULT``); without a name, boto3's own credentials are used.
See ``_handoff.py`` beside this file (copy it with the DAG).

A task that fails for good shows an alert slide on the screens tagged ``ops`` (the Variable
``signs_ops_screen_tag``) for 15 minutes: ``ops_screen_alert`` in ``_handoff.py``.

Try it: ``airflow dags test optisigns_api_data_to_screens``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from _handoff import HANDOFF_KEY, checked_before_execute, ops_screen_alert, run_folder, write_file
from signs_provider.optisigns.operators import (
    OptiSignsAssignContentOperator,
    OptiSignsCleanupAssetsOperator,
    OptiSignsSyncPlaylistOperator,
    OptiSignsUploadAssetOperator,
)
from signs_provider.optisigns.outlets import screens_tag_asset
from signs_provider.optisigns.sensors import OptiSignsAssetReadySensor

FEED_CONN_ID = "signs_feeds"
SCREEN_TAG = "lobby"  # screens carrying this tag in OptiSigns get the content
PLAYLIST_NAME = "Lobby KPIs"
ASSET_NAME = "Lobby KPIs.png"
SLIDE_SECONDS = 20
SCREEN_SIZE = (1920, 1080)
DAG_ID = "optisigns_api_data_to_screens"
DAG_TAG = f"airflow-dag-{DAG_ID}"  # the provider tags each object with its DAG


def value_text(value: object, unit: object = None) -> str:
    """A KPI value for the screen: numbers with thousands separators, anything else as text."""
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            number = None
    text = f"{number:,.0f}" if number is not None else str(value if value is not None else "-")
    return f"{text} {unit or ''}".strip()


@dag(
    schedule="@hourly",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # runs share one playlist
    tags=["optisigns", "example"],
    # A task that fails for good shows an alert slide on the "ops" screens (see _handoff.py).
    default_args={"on_failure_callback": ops_screen_alert()},
    params={
        "endpoint": Param("kpis", type="string", description="Path of the feed on the signs_feeds host"),
        "work_folder": Param(
            None,
            type=["null", "string"],
            description="Where the image is written for the upload (local path or s3://...); "
            "empty: the Variable signs_work_folder, else $AIRFLOW_HOME/signs-work",
        ),
    },
)
def optisigns_api_data_to_screens():
    @task
    def fetch_data(endpoint: str) -> dict:
        """GET the feed as JSON through the HTTP connection."""
        # Imported here, not at the top: the HTTP provider pulls in requests and aiohttp, which
        # would slow down every parse of this file (DAG files are parsed every 30 s).
        from airflow.providers.http.hooks.http import HttpHook

        response = HttpHook(method="GET", http_conn_id=FEED_CONN_ID).run(endpoint)
        return response.json()

    @task
    def to_rows(feed: dict) -> dict:
        """Post-processing: a title, up to six label/value rows and a freshness line."""
        if isinstance(feed.get("kpis"), list):
            rows = [
                {
                    "label": str(kpi.get("label") or ""),
                    "value": value_text(kpi.get("value"), kpi.get("unit")),
                    "good": kpi.get("on_target"),
                }
                for kpi in feed["kpis"][:6]
            ]
        else:  # any other JSON object: its first simple values
            simple = [(k, v) for k, v in feed.items() if isinstance(v, (str, int, float, bool))]
            rows = [
                {"label": str(k).replace("_", " ").capitalize(), "value": str(v), "good": None}
                for k, v in simple[:6]
            ]
        updated = feed.get("generated_at") or pendulum.now("UTC").to_iso8601_string()
        return {"title": "Today at a glance", "rows": rows, "updated": str(updated)[:16].replace("T", " ")}

    @task
    def render_image(card: dict, **context) -> dict:
        """Draw the card as a screen-sized PNG in this run's folder; return its path and SHA-256."""
        import io

        from PIL import Image, ImageDraw, ImageFont

        width, height = SCREEN_SIZE
        image = Image.new("RGB", SCREEN_SIZE, (16, 24, 40))
        draw = ImageDraw.Draw(image)
        title_font = ImageFont.load_default(size=96)
        row_font = ImageFont.load_default(size=64)
        small_font = ImageFont.load_default(size=36)
        draw.text((120, 90), card["title"], font=title_font, fill=(255, 255, 255))
        for i, row in enumerate(card["rows"]):
            y = 270 + i * 120
            colour = {True: (46, 204, 113), False: (231, 76, 60)}.get(row["good"], (120, 144, 156))
            draw.ellipse((120, y + 24, 160, y + 64), fill=colour)
            draw.text((200, y), row["label"], font=row_font, fill=(220, 226, 234))
            draw.text((width - 120, y), row["value"], font=row_font, fill=(255, 255, 255), anchor="ra")
        draw.text((120, height - 90), f"Updated {card['updated']} UTC", font=small_font, fill=(144, 164, 174))

        png = io.BytesIO()
        image.save(png, format="PNG")
        handoff = write_file(run_folder(context), "lobby-kpis.png", png.getvalue())
        context["ti"].xcom_push(key=HANDOFF_KEY, value=handoff)
        return handoff

    image = render_image(to_rows(fetch_data(endpoint="{{ params.endpoint }}")))
    upload = OptiSignsUploadAssetOperator(
        task_id="upload",
        source=image["path"],
        # Fails before uploading unless the file is the one render_image wrote (path and SHA-256).
        pre_execute=checked_before_execute("render_image", "source", local_copy=True),
        name=ASSET_NAME,
        # Asset tags and screen tags are separate: this only labels the image; which screens
        # show it is decided by assign_to_screens below.
        tags=[SCREEN_TAG],
    )

    wait_until_ready = OptiSignsAssetReadySensor(
        task_id="wait_until_ready",
        asset_id=upload.output["asset_id"],
        deferrable=True,
        poke_interval=5,
        timeout=600,
    )

    sync_playlist = OptiSignsSyncPlaylistOperator(
        task_id="sync_playlist",
        name=PLAYLIST_NAME,
        items=[{"asset_id": upload.output["asset_id"], "duration": SLIDE_SECONDS}],
        tags=[SCREEN_TAG],
        delete_replaced_assets=True,
    )

    assign_to_screens = OptiSignsAssignContentOperator(
        task_id="assign_to_screens",
        playlist_id=sync_playlist.output["playlist_id"],
        tags=[SCREEN_TAG],
        outlets=[screens_tag_asset(SCREEN_TAG)],
    )

    cleanup_old_assets = OptiSignsCleanupAssetsOperator(
        task_id="cleanup_old_assets",
        tags=[DAG_TAG],
        older_than=1,  # days
    )

    # A teardown, not a trigger_rule="all_done" leaf: it still runs when a step after the upload
    # failed, but Airflow leaves teardowns out of the run's state, so a failed step fails the run
    # instead of being hidden by a clean-up that succeeded.
    wait_until_ready >> sync_playlist >> assign_to_screens >> cleanup_old_assets.as_teardown(setups=upload)


optisigns_api_data_to_screens()
