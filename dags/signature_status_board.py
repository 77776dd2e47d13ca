"""Show the documents still waiting for signatures on the office screens, every 30 minutes.

read_open_documents --> render_board --> upload --> wait_until_ready --> sync_playlist --> push_to_screens

1. ``read_open_documents`` (OpenSign): the open documents come from OpenSign's ``inprogress`` list,
   500 per request, however many there are; only the documents that fit on the board (the oldest
   first) are read one by one, for who has signed so far.
2. ``render_board``: a 1920x1080 PNG drawn with Pillow: how many documents are open, and for the
   oldest, their title, age and who still has to sign.
3. ``upload`` (OptiSigns): once checked to be the file ``render_board`` wrote (path and SHA-256 from
   XCom), the image becomes the asset "Pending signatures.png".
4. ``wait_until_ready``: deferred until OptiSigns has converted it.
5. ``sync_playlist``: the playlist "Pending signatures" holds exactly this image; the previous
   run's image leaves it and is deleted.
6. ``push_to_screens``: the playlist goes to every screen tagged "office", in one API call.

Connections: ``opensign_default`` (type ``opensign``) and ``optisigns_default`` (type ``optisigns``);
``signs-emulator`` prints both for the local emulator.

Failures: a task that fails for good puts an alert slide on the screens tagged ``ops`` (the Variable
``signs_ops_screen_tag`` names another tag) for 15 minutes, not on the office screens; see ``_handoff.py``.

Files: the image goes to ``<work folder>/signature_status_board/<run_id>/pending-signatures.png``;
the work folder is the ``work_folder`` Param, else the Airflow Variable ``signs_work_folder``, else
``$AIRFLOW_HOME/signs-work``. Workers that share no disk need an object storage URL there, e.g.
``s3://aws_default@bucket/signs-work`` (``apache-airflow-providers-amazon[s3fs]`` and the ``aws``
connection named before the ``@``; see ``_handoff.py`` beside this file, which the DAG imports).

Try it: ``airflow dags test signature_status_board``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from _handoff import HANDOFF_KEY, checked_before_execute, ops_screen_alert, run_folder, write_file
from signs_provider.optisigns.operators import (
    OptiSignsPushToScreensOperator,
    OptiSignsSyncPlaylistOperator,
    OptiSignsUploadAssetOperator,
)
from signs_provider.optisigns.sensors import OptiSignsAssetReadySensor

SCREEN_TAG = "office"
PLAYLIST_NAME = "Pending signatures"
ASSET_NAME = "Pending signatures.png"
ROWS = 8  # documents that fit on the board
SCREEN_SIZE = (1920, 1080)


@dag(
    schedule="*/30 * * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # runs share one playlist
    tags=["opensign", "optisigns", "example"],
    # A task that fails for good shows an alert slide on the "ops" screens (see _handoff.py).
    default_args={"on_failure_callback": ops_screen_alert()},
    params={
        "work_folder": Param(
            None,
            type=["null", "string"],
            description="Where the image is written for the upload (local path or s3://...); "
            "empty: the Variable signs_work_folder, else $AIRFLOW_HOME/signs-work",
        ),
    },
)
def signature_status_board():
    @task
    def read_open_documents() -> dict:
        """The open documents: all of them counted, the oldest ``ROWS`` with each signer's progress."""
        from signs_provider.opensign.hooks import OpenSignHook
        from signs_provider.opensign.status import SignerProgress

        hook = OpenSignHook()
        try:
            open_documents = list(hook.list_documents("in-progress", page_size=500))
            open_documents.sort(key=lambda d: d.get("createdAt") or "")
            rows = []
            for item in open_documents[:ROWS]:
                state = hook.get_document_state(item["objectId"])
                done = [s for s in state.signers if s.progress is SignerProgress.SIGNED]
                # Privacy choice: signers' names (not emails, unless a name is missing) and document
                # titles go on screens that visitors may see; show less here if that is too much.
                rows.append(
                    {
                        "title": state.title or item.get("title") or item["objectId"],
                        "created_at": item.get("createdAt") or "",
                        "signed": [s.name or s.email for s in done],
                        "waiting": [s.name or s.email for s in state.signers if s not in done],
                    }
                )
        finally:
            hook.close()
        return {
            "open": len(open_documents),
            "rows": rows,
            "as_of": pendulum.now("UTC").to_iso8601_string(),
        }

    @task
    def render_board(board: dict, **context) -> dict:
        """Draw the board as a screen-sized PNG in this run's folder; return its path and SHA-256."""
        import io

        from PIL import Image, ImageDraw, ImageFont

        width, height = SCREEN_SIZE
        now = pendulum.parse(board["as_of"])
        image = Image.new("RGB", SCREEN_SIZE, (250, 250, 247))
        draw = ImageDraw.Draw(image)
        big, medium, small = (ImageFont.load_default(size=s) for s in (84, 44, 32))
        headline = f"{board['open']} document{'s' if board['open'] != 1 else ''} waiting for signatures"
        draw.text(
            (100, 70), headline if board["open"] else "Every document is signed", font=big, fill=(20, 33, 61)
        )
        for i, row in enumerate(board["rows"]):
            y = 220 + i * 100
            age = now.diff(pendulum.parse(row["created_at"])).in_days() if row["created_at"] else 0
            colour = (192, 57, 43) if age >= 5 else (230, 126, 34) if age >= 2 else (39, 174, 96)
            draw.rectangle((100, y + 8, 116, y + 72), fill=colour)
            draw.text((140, y), row["title"][:60], font=medium, fill=(20, 33, 61))
            waiting = ", ".join(row["waiting"]) or "nobody"
            draw.text((140, y + 50), f"waiting for {waiting[:90]}", font=small, fill=(90, 98, 112))
            draw.text((width - 100, y), f"{age} d", font=medium, fill=colour, anchor="ra")
        hidden = board["open"] - len(board["rows"])
        footer = f"Updated {now.format('YYYY-MM-DD HH:mm')} UTC" + (
            f"  -  {hidden} more not shown" if hidden > 0 else ""
        )
        draw.text((100, height - 80), footer, font=small, fill=(120, 128, 140))

        png = io.BytesIO()
        image.save(png, format="PNG")
        handoff = write_file(run_folder(context), "pending-signatures.png", png.getvalue())
        context["ti"].xcom_push(key=HANDOFF_KEY, value=handoff)
        return handoff

    upload = OptiSignsUploadAssetOperator(
        task_id="upload",
        source=render_board(read_open_documents())["path"],
        # Fails before uploading unless the file is the one render_board wrote (path and SHA-256).
        pre_execute=checked_before_execute("render_board", "source", local_copy=True),
        name=ASSET_NAME,
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
        items=[{"asset_id": upload.output["asset_id"], "duration": 30}],
        tags=[SCREEN_TAG],
        delete_replaced_assets=True,
    )

    push_to_screens = OptiSignsPushToScreensOperator(
        task_id="push_to_screens",
        playlist_id=sync_playlist.output["playlist_id"],
        tags=[SCREEN_TAG],
    )

    wait_until_ready >> sync_playlist >> push_to_screens


signature_status_board()
