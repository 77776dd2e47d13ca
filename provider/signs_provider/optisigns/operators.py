"""Operators that put content on OptiSigns screens.

Each is a thin, templated layer over :class:`~signs_provider.optisigns.hooks.OptiSignsHook`:
it checks its arguments, calls the hook, returns a small JSON result (the task's XCom) and
stores the address behind the task's "OptiSigns" button. Any of them accepts ``outlets``, e.g.
``outlets=[screens_tag_asset("lobby")]`` (:mod:`signs_provider.optisigns.outlets`), so that a
downstream DAG can be scheduled on "the lobby screens' content was updated".

This module stays cheap to import (DAG files import it at every parse): the hook and the HTTP
libraries are imported only when a task runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from signs_provider.common.task_state import forget, record_key, remember, remembered
from signs_provider.optisigns import DEFAULT_CONN_ID
from signs_provider.optisigns._arguments import (
    ASSIGN_CONTENT_ARGUMENTS,
    PUSH_TO_SCREENS_ARGUMENTS,
    call_arguments,
    json_arg,
    takes,
    template_fields,
    template_list,
)
from signs_provider.optisigns.links import LINK_XCOM_KEY, OptiSignsLink, optisigns_app_url

if TYPE_CHECKING:
    from airflow.sdk import Context, ObjectStoragePath

    from signs_provider.optisigns.hooks import OptiSignsHook, PlaylistEntryLike

#: Marker tags: a prefix, then a digest of the key (tags stay short, and the key may hold anything).
KEY_TAG_PREFIX = "airflow-key-"


def marker_tag(prefix: str, key: str) -> str:
    """A tag standing for ``key``: ``prefix`` and 20 hex digits of its SHA-256."""
    import hashlib

    return prefix + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def task_instance_key(context: Context) -> str:
    """The same for every try of one task instance, different for any other (run, map index)."""
    ti = context["ti"]
    return f"{ti.dag_id}/{ti.task_id}/{ti.run_id}/{getattr(ti, 'map_index', -1)}"


__all__ = [
    "OptiSignsAssignContentOperator",
    "OptiSignsCleanupAssetsOperator",
    "OptiSignsGraphQLOperator",
    "OptiSignsPushToScreensOperator",
    "OptiSignsSyncPlaylistOperator",
    "OptiSignsUploadAssetOperator",
    "OptiSignsUpsertWebsiteAssetOperator",
    "template_list",
]


class _OptiSignsOperator(BaseOperator):
    """Shared plumbing: the connection, a cached hook, the link, the per-DAG tag."""

    operator_extra_links = (OptiSignsLink(),)
    ui_color = "#e8f4fd"
    #: Results are small dicts: each key is also its own XCom, so ``op.output["asset_id"]`` works.
    returns_dict = True

    def __init__(self, *, optisigns_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        if self.returns_dict:
            kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)
        self.optisigns_conn_id = optisigns_conn_id

    @cached_property
    def hook(self) -> OptiSignsHook:
        from signs_provider.optisigns.hooks import OptiSignsHook

        return OptiSignsHook(optisigns_conn_id=self.optisigns_conn_id)

    def _link(self, context: Context, kind: str, object_id: str | None) -> str | None:
        if not object_id:
            return None
        url = optisigns_app_url(kind, object_id)
        context["ti"].xcom_push(key=LINK_XCOM_KEY, value=url)
        return url

    #: What the last run of ``execute`` read and wrote, for OpenLineage: ``(inputs, outputs)``, each
    #: ``("optisigns", "assets/<id>")``, ``("source", path or URL)`` or ``("url", page)``.
    _lineage: tuple[list[tuple[str, Any]], list[tuple[str, Any]]] | None = None

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage facets (inputs: the file, page or content; outputs: what was made or updated).

        ``None`` where the OpenLineage provider is not installed, and for operators that report none.
        """
        from signs_provider.common.lineage import safely

        return safely(self._lineage_facets, f"task {self.task_id}")

    def _lineage_facets(self) -> Any:
        from signs_provider.common.lineage import (
            api_namespace,
            dataset,
            operator_lineage,
            source_dataset,
            url_dataset,
        )

        if self._lineage is None:
            return None
        namespace = api_namespace("optisigns", self.hook.base_url)

        def made(kind: str, value: Any) -> Any:
            if kind == "source":
                return source_dataset(value)
            if kind == "url":
                return url_dataset(str(value))
            return dataset(namespace, str(value))

        inputs, outputs = self._lineage
        return operator_lineage([made(*i) for i in inputs], [made(*o) for o in outputs])

    def _tags(self, tags: Iterable[str] | str | None) -> list[str]:
        """The caller's tags plus one naming the DAG, so a DAG's objects can be found (and cleaned up)."""
        given = [tags] if isinstance(tags, str) else list(tags or [])
        dag_tag = f"airflow-dag-{self.dag_id}" if self.has_dag() else None
        return given + ([dag_tag] if dag_tag and dag_tag not in given else [])


class OptiSignsGraphQLOperator(_OptiSignsOperator):
    """Run any GraphQL query or mutation; its ``data`` is the task's result.

    :param query: the GraphQL document, or a path ending in ``.graphql``/``.gql`` (templated).
    :param variables: its variables (templated).
    :param idempotent: whether a mutation may be retried after a network error; queries always are.
    :param optisigns_conn_id: the Airflow connection id.
    """

    template_fields: Sequence[str] = ("query", "variables", "optisigns_conn_id")
    returns_dict = False
    template_ext: Sequence[str] = (".graphql", ".gql")
    template_fields_renderers = {"variables": "json"}

    def __init__(
        self,
        *,
        query: str,
        variables: dict[str, Any] | None = None,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.query = query
        self.variables = variables
        self.idempotent = idempotent

    def execute(self, context: Context) -> Any:
        variables = json_arg(self.variables, field="variables")
        return self.hook.execute(self.query, variables, idempotent=self.idempotent)


class OptiSignsUploadAssetOperator(_OptiSignsOperator):
    """Upload a file as an OptiSigns asset (streamed; checked before anything is sent).

    Returns ``{"asset_id", "name", "status", "file_type"}``. Follow it with
    :class:`~signs_provider.optisigns.sensors.OptiSignsAssetReadySensor` (deferrable, and
    preferred), or set ``wait_until_ready`` to wait in this task. With ``wait_until_ready``, a
    wait that times out fails the task, and a task retry waits again for the same asset (it is
    found by its ``idempotency_key`` tag, not uploaded again).

    :param source: a local path or object storage URL (``s3://bucket/menu.png``; templated), or an
        ``ObjectStoragePath``.
    :param name: the asset's name in OptiSigns (templated); defaults to the file name.
    :param tags: extra tags (templated); the provider's tag and the DAG's are always added.
    :param folder: the OptiSigns folder, e.g. ``"/Lobby"``.
    :param max_upload_bytes: refuse bigger files (default: the connection's limit, 1 GB).
    :param wait_until_ready: poll until OptiSigns has converted the file.
    :param ready_timeout: seconds to wait for that.
    :param idempotency_key: the asset this task stands for (templated), e.g.
        ``"menu-{{ ds }}"``: whichever run or task asks with the same key, the file is uploaded once
        and the asset of that key is returned. Default: one key per task instance, so a retry of the
        task (after a first try that uploaded, or whose answer was lost and landed) returns the
        asset of the first try instead of uploading a second one. The key is kept on the asset as
        a tag ``airflow-key-<digest>``.

    On Airflow 3.3 the asset's id is also recorded in the task state store the moment OptiSigns
    answers, and a retry reads the recorded asset by id (one query) instead of searching by tag; an
    asset deleted or failed since, no record (Airflow 3.2, a try that died before recording), or a
    record about another key, and the retry searches by tag as before. The upload's id is recorded
    earlier still, the moment the upload service has the file (before ``saveAsset``): a retry of a
    try that died in between, or whose ``saveAsset`` failed or lost its answer, finds no asset by tag
    and finishes that upload (the asset holding it, else ``saveAsset`` with it) instead of sending
    the file again; if OptiSigns refuses that upload id (its file gone), the file is uploaded again
    (logged).
    """

    template_fields: Sequence[str] = (
        "source",
        "name",
        "tags",
        "folder",
        "idempotency_key",
        "optisigns_conn_id",
    )

    def __init__(
        self,
        *,
        source: str | ObjectStoragePath,
        name: str | None = None,
        tags: Sequence[str] = (),
        folder: str | None = None,
        max_upload_bytes: int | None = None,
        wait_until_ready: bool = False,
        ready_timeout: float = 600,
        poll_interval: float = 5,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.idempotency_key = idempotency_key
        self.source = source
        self.name = name
        self.tags = tags
        self.folder = folder
        self.max_upload_bytes = max_upload_bytes
        self.wait_until_ready = wait_until_ready
        self.ready_timeout = ready_timeout
        self.poll_interval = poll_interval

    @cached_property
    def hook(self) -> OptiSignsHook:
        from signs_provider.optisigns.hooks import OptiSignsHook

        return OptiSignsHook(optisigns_conn_id=self.optisigns_conn_id, max_upload_bytes=self.max_upload_bytes)

    def execute(self, context: Context) -> dict[str, Any]:
        from signs_provider.optisigns.client.assets import asset_summary

        # Everything that needs no request is checked before the look-up by key.
        self.hook.client.uploads.check(self.source, name=self.name)
        marker = marker_tag(KEY_TAG_PREFIX, self._key(context))
        record = record_key("optisigns-asset", marker)
        earlier = _earlier_record(context, record)
        asset = self._recorded_asset(earlier, marker)
        if asset is None:
            asset = self._asset_of(marker)
            if asset is not None:
                self.log.info(
                    "Asset %s already holds this upload (tag %s, from an earlier try or run): not uploading "
                    "again.",
                    asset["_id"],
                    marker,
                )
            else:
                asset = self._upload(context, record, marker, earlier)
                # Two tasks with one key at the same time: both uploaded; the younger asset is deleted.
                asset = self.hook.client.graphql.keep_oldest(
                    asset,
                    lambda: self._asset_of(marker),
                    object_type="ASSET",
                    what=f"the asset of tag {marker}",
                )
            # Before the wait for conversion, the longest part of the task: a retry resumes here.
            remember(context, record, {"asset_id": asset["_id"], "marker": marker})
        self._link(context, "asset", asset["_id"])
        self._lineage = ([("source", self.source)], [("optisigns", f"assets/{asset['_id']}")])
        if self.wait_until_ready:
            asset = self.hook.wait_for_asset_ready(
                asset["_id"], timeout=self.ready_timeout, poll_interval=self.poll_interval
            )
        return asset_summary(asset)

    def _key(self, context: Context) -> str:
        if self.idempotency_key is None:
            return task_instance_key(context)
        key = str(self.idempotency_key).strip()
        if not key:
            from signs_provider.common.errors import SignsConfigError

            raise SignsConfigError(
                "idempotency_key: rendered empty. Give a non-empty key (e.g. 'menu-{{ ds }}'), or leave it "
                "unset for one key per task instance."
            )
        return key

    def _recorded_asset(self, record: dict[str, Any] | None, marker: str) -> Any:
        """The asset an earlier try recorded, read by id; ``None`` (search by tag) if there is none.

        Read rather than trusted: the task's result needs the asset's current state, and an asset
        deleted or failed since must be uploaded again, as the search by tag would decide.
        """
        from signs_provider.optisigns.client.assets import asset_state
        from signs_provider.optisigns.errors import OptiSignsNotFoundError

        if not record or record.get("marker") != marker or not record.get("asset_id"):
            return None
        try:
            asset = self.hook.get_asset(str(record["asset_id"]))
        except OptiSignsNotFoundError:
            self.log.warning("Asset %s, recorded by an earlier try, no longer exists.", record["asset_id"])
            return None
        if asset_state(asset) == "failed":
            return None
        self.log.info(
            "Asset %s was uploaded by an earlier try of this task (task state store): not uploading again.",
            asset["_id"],
        )
        return asset

    def _upload(self, context: Context, record: str, marker: str, earlier: dict[str, Any] | None) -> Any:
        """Upload the file, recording its upload id the moment the upload service has it; or, when
        an earlier try recorded one and no asset, finish that upload without sending the file again."""
        from signs_provider.common.errors import SignsApiError
        from signs_provider.common.transport import is_retryable_status
        from signs_provider.optisigns.errors import OptiSignsAuthError, OptiSignsScopeError

        uploads = self.hook.client.uploads
        tags = [*self._tags(self.tags), marker]
        assembly_id = _earlier_upload(earlier, marker)
        if assembly_id is not None:
            try:
                return uploads.finish_upload(
                    assembly_id, self.source, name=self.name, tags=tags, path=self.folder
                )
            except (OptiSignsAuthError, OptiSignsScopeError):
                raise  # the fresh upload would be refused the same way
            except SignsApiError as exc:
                if exc.status is not None and is_retryable_status(exc.status):
                    raise  # OptiSigns is unwell, not refusing: the next retry resumes again
                # OptiSigns answered (nothing was created) but would not save that upload: its file is
                # gone from the upload service, we guess (the real API's answer is not documented).
                self.log.warning(
                    "Upload %s, recorded by an earlier try of this task, could not be finished (%s): "
                    "uploading the file again.",
                    assembly_id,
                    exc,
                )

        def uploaded(assembly_id: str) -> None:
            # Before saveAsset: a try that dies from here on leaves its retry the file to finish.
            remember(context, record, {"marker": marker, "assembly_id": assembly_id})

        return uploads.upload_file(
            self.source, name=self.name, tags=tags, path=self.folder, on_uploaded=uploaded
        )

    def _asset_of(self, marker: str) -> Any:
        """The oldest asset carrying ``marker`` whose conversion did not fail, or ``None``."""
        from signs_provider.optisigns.client._inputs import oldest
        from signs_provider.optisigns.client.assets import asset_state

        found = self.hook.list_assets(tags=[marker])
        return oldest(a for a in found if marker in (a.get("tags") or []) and asset_state(a) != "failed")


class OptiSignsUpsertWebsiteAssetOperator(_OptiSignsOperator):
    """Create or update the website asset ``name`` (a re-run updates it, never duplicates it).

    Returns ``{"asset_id", "name", "url"}``.

    :param name: the asset's name (templated).
    :param url: the web page to show (templated).
    :param tags: extra tags (templated).
    """

    template_fields: Sequence[str] = ("name", "url", "tags", "folder", "optisigns_conn_id")

    def __init__(
        self, *, name: str, url: str, tags: Sequence[str] = (), folder: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.url = url
        self.tags = tags
        self.folder = folder

    def execute(self, context: Context) -> dict[str, Any]:
        asset = self.hook.upsert_website_asset(
            self.name, self.url, tags=self._tags(self.tags), path=self.folder
        )
        self._link(context, "asset", asset["_id"])
        self._lineage = ([("url", self.url)], [("optisigns", f"assets/{asset['_id']}")])
        return {"asset_id": asset["_id"], "name": asset.get("originalFileName"), "url": asset.get("webLink")}


class OptiSignsSyncPlaylistOperator(_OptiSignsOperator):
    """Make the playlist ``name`` hold exactly ``items``, in order (created if missing).

    A re-run with the same items changes nothing; the playlist never grows by repetition.
    Returns ``{"playlist_id", "name", "items": [{"asset_id", "duration"}], "deleted_asset_ids"}``.

    :param name: the playlist's name (templated).
    :param items: asset ids, ``[asset_id, seconds]`` pairs or ``{"asset_id", "duration"}`` dicts
        (templated; an upstream task's result works, e.g. ``[{"asset_id": upload.output["asset_id"],
        "duration": 15}]``).
    :param delete_replaced_assets: delete the assets this sync took out of the playlist, if the
        provider created them (tag ``airflow-provider-signs``) and no other playlist uses them:
        how a re-run replaces content instead of piling up assets.
    """

    template_fields: Sequence[str] = ("name", "items", "tags", "folder", "optisigns_conn_id")
    template_fields_renderers = {"items": "json"}

    def __init__(
        self,
        *,
        name: str,
        items: Sequence[PlaylistEntryLike] | str,
        tags: Sequence[str] = (),
        folder: str | None = None,
        delete_replaced_assets: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.items = items
        self.tags = tags
        self.folder = folder
        self.delete_replaced_assets = delete_replaced_assets

    def execute(self, context: Context) -> dict[str, Any]:
        items = json_arg(self.items, field="items")
        summary = self.hook.sync_playlist(
            self.name,
            items,
            tags=self._tags(self.tags),
            path=self.folder,
            delete_replaced_assets=self.delete_replaced_assets,
        )
        self._link(context, "playlist", summary["playlist_id"])
        used = dict.fromkeys(str(i.get("asset_id")) for i in summary.get("items") or [] if i.get("asset_id"))
        self._lineage = (
            [("optisigns", f"assets/{asset_id}") for asset_id in used],
            [("optisigns", f"playlists/{summary['playlist_id']}")],
        )
        return summary


class _ScreensOperator(_OptiSignsOperator):
    """Content shared by the push and assign operators (their arguments come from ``_arguments``)."""

    asset_id: str | None
    playlist_id: str | None
    schedule_id: str | None

    def _delivered(self, summary: dict[str, Any]) -> None:
        """Lineage of a push or assignment: the content in, the screens out."""
        kind, content_id = summary.get("content_type"), summary.get("content_id")
        inputs = [("optisigns", f"{str(kind).lower()}s/{content_id}")] if kind and content_id else []
        self._lineage = (inputs, [("optisigns", f"screens/{i}") for i in summary.get("screen_ids") or []])

    def _content_link(self, context: Context) -> None:
        if self.playlist_id:
            self._link(context, "playlist", self.playlist_id)
        elif self.asset_id:
            self._link(context, "asset", self.asset_id)
        elif self.schedule_id:
            self._link(context, "schedule", self.schedule_id)


class OptiSignsPushToScreensOperator(_ScreensOperator):
    """Push an asset, playlist or schedule to screens with one API call, however many screens.

    Takes the arguments of ``OptiSignsHook.push_to_screens`` (but ``force``): ``asset_id``,
    ``playlist_id`` or ``schedule_id``; screens by ``screen_ids``, ``screen_names`` (resolved to
    ids first), ``tags`` and ``tag_rules``; unknown names, ids and tags fail the task before
    anything is pushed. Returns ``{"content_type", "content_id", "mode", "screen_ids"}``.

    :param mode: ``NOW`` (default), ``SCHEDULE`` (at ``start_at``, optionally until
        ``expire_at``) or ``TEMPORARILY`` (a takeover for ``takeover_minutes``).
    :param local_timezone: the screens' IANA time zone. Naive times are the screens' wall-clock
        time; aware ones are converted to this zone (see ``OptiSignsHook.push_to_screens``).
    """

    template_fields: Sequence[str] = template_fields(PUSH_TO_SCREENS_ARGUMENTS, "optisigns_conn_id")

    @takes(PUSH_TO_SCREENS_ARGUMENTS)
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def execute(self, context: Context) -> dict[str, Any]:
        arguments = call_arguments(self, PUSH_TO_SCREENS_ARGUMENTS)
        # The record is about this push: a retry whose arguments render differently pushes anew.
        record = record_key("optisigns-push", _fingerprint(arguments))
        earlier = _earlier_record(context, record)
        if earlier is not None and isinstance(earlier.get("result"), dict):
            # Not checked against the screens: a push is an event, and what it did may have ended
            # since (a takeover's minutes, a scheduled push gone live), so the screens could not
            # confirm it, and sending it again is what must not happen.
            self.log.info(
                "This push was sent by an earlier try of this task (task state store): not sent again."
            )
            summary = dict(earlier["result"])
        else:
            # once=True: without a record (Airflow 3.2, a lost answer), a retry whose first try queued
            # the push (or started the takeover) finds it on the screens and sends nothing, instead of
            # queueing it twice or restarting the timer.
            result = self.hook.client.delivery.push(**arguments, once=True)
            summary = {key: result[key] for key in ("content_type", "content_id", "mode", "screen_ids")}
            remember(context, record, {"result": summary})
        self._content_link(context)
        self._delivered(summary)
        # Kept only for the tries of this run of the task: a task cleared after it succeeded is run
        # again on purpose, and then pushes again as it always did.
        forget(context, record)
        return summary


class OptiSignsAssignContentOperator(_ScreensOperator):
    """Set what screens play, as their lasting setting (``updateDevice``, one call per screen).

    Content by ``asset_id``, ``playlist_id`` or ``schedule_id``; with none, the screens are
    blanked. Screens by ``screen_ids``, ``screen_names`` and ``tags``, resolved with one listing.
    For many screens prefer :class:`OptiSignsPushToScreensOperator` (one call). Returns
    ``{"content_type", "content_id", "screen_ids"}``.
    """

    template_fields: Sequence[str] = template_fields(ASSIGN_CONTENT_ARGUMENTS, "optisigns_conn_id")

    @takes(ASSIGN_CONTENT_ARGUMENTS)
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def execute(self, context: Context) -> dict[str, Any]:
        result = self.hook.client.delivery.assign(**call_arguments(self, ASSIGN_CONTENT_ARGUMENTS))
        self._content_link(context)
        summary = {key: result[key] for key in ("content_type", "content_id", "screen_ids")}
        self._delivered(summary)
        return summary


class OptiSignsCleanupAssetsOperator(_OptiSignsOperator):
    """Delete the assets the provider created that are older than ``older_than``.

    Only assets tagged ``airflow-provider-signs`` (and all of ``tags``, if given) are touched,
    and by default never one still in use (in a playlist or schedule item, or on a screen).
    Returns the ids deleted.

    :param older_than: a ``timedelta``, or a number of days.
    :param tags: narrow to assets carrying all these tags too (e.g. ``["airflow-dag-my_dag"]``).
    :param preview: only report what would be deleted.
    :param keep_in_use: keep assets still in use (default); ``False`` deletes them too.
    """

    template_fields: Sequence[str] = ("tags", "optisigns_conn_id")
    returns_dict = False

    def __init__(
        self,
        *,
        older_than: timedelta | float,
        tags: Sequence[str] = (),
        preview: bool = False,
        keep_in_use: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.older_than = (
            older_than if isinstance(older_than, timedelta) else timedelta(days=float(older_than))
        )
        self.tags = tags
        self.preview = preview
        self.keep_in_use = keep_in_use

    def execute(self, context: Context) -> list[str]:
        return self.hook.cleanup_assets(
            older_than=self.older_than,
            tags=template_list(self.tags),
            dry_run=self.preview,
            keep_in_use=self.keep_in_use,
        )


def _fingerprint(arguments: dict[str, Any]) -> str:
    """The push's arguments as stable text (times and other objects by their text)."""
    import json

    return json.dumps(arguments, sort_keys=True, default=str)


def _earlier_upload(record: dict[str, Any] | None, marker: str) -> str | None:
    """The upload id an earlier try of the upload task recorded with no asset yet, or ``None``."""
    if not record or record.get("marker") != marker or record.get("asset_id"):
        return None
    assembly_id = record.get("assembly_id")
    return str(assembly_id) if isinstance(assembly_id, str) and assembly_id.strip() else None


def _earlier_record(context: Context, key: str) -> dict[str, Any] | None:
    """What an earlier try of this task instance recorded; not looked up on a first try (the store is
    per task instance, and a cleared task gets a higher try number)."""
    if getattr(context["ti"], "try_number", 2) <= 1:
        return None
    return remembered(context, key)
