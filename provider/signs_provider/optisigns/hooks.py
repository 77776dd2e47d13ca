"""Hook for the OptiSigns GraphQL API.

The hook holds all knowledge of the API; operators and sensors stay thin over it.

Example::

    hook = OptiSignsHook(optisigns_conn_id="optisigns_default")
    asset = hook.upload_file("/tmp/menu.png", name="Lobby menu")
    hook.wait_for_asset_ready(asset["_id"])
    playlist = hook.upsert_playlist("Lobby")
    hook.set_playlist_items(playlist["_id"], [(asset["_id"], 15)])
    hook.push_to_screens(playlist_id=playlist["_id"], tags=["lobby"])

Every object the hook creates carries the tag :data:`PROVIDER_TAG`, so that
:meth:`OptiSignsHook.cleanup_assets` can find what the provider made and nothing else.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import cached_property
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias, TypedDict

from signs_provider.common.errors import AmbiguousWriteError, SignsApiError, SignsConfigError
from signs_provider.common.http import (
    SignsHttpHook,
    is_retryable_status,
    register_secret,
    require_secure_url,
    response_json,
)
from signs_provider.common.times import parse_api_time
from signs_provider.optisigns import DEFAULT_CONN_ID, DEFAULT_HEARTBEAT_MAX_AGE_SECONDS
from signs_provider.optisigns.errors import (
    AssetProcessingError,
    OptiSignsAuthError,
    OptiSignsGraphQLError,
    OptiSignsNotFoundError,
    OptiSignsScheduleOverlapError,
    OptiSignsScopeError,
    OptiSignsTimeoutError,
    UnknownScreensError,
)

if TYPE_CHECKING:
    import httpx
    import requests
    from airflow.sdk import ObjectStoragePath

DEFAULT_ENDPOINT = "https://graphql-gateway.optisigns.com/graphql"
DEFAULT_UPLOAD_URL = "https://api2.transloadit.com/assemblies"

#: Tag put on every object the provider creates; clean-up only ever deletes objects carrying it.
PROVIDER_TAG = "airflow-provider-signs"

#: File types OptiSigns plays (support article "What types of files are supported"), by extension.
SUPPORTED_FILE_TYPES: Mapping[str, str] = {
    **dict.fromkeys((".jpg", ".jpeg", ".png", ".bmp", ".gif"), "image"),
    **dict.fromkeys((".mp4", ".avi"), "video"),
    **dict.fromkeys((".pdf", ".doc", ".docx", ".ppt", ".pptx", ".xls", ".xlsx"), "document"),
    # "All OpenOffice file types"
    **dict.fromkeys((".odt", ".ods", ".odp", ".odg"), "document"),
}

#: "The individual file upload limit is 1 GB by default" (liftable through support; free plan: 25 MB).
DEFAULT_MAX_UPLOAD_BYTES = 1024**3

DEFAULT_HEARTBEAT_MAX_AGE = timedelta(seconds=DEFAULT_HEARTBEAT_MAX_AGE_SECONDS)

# Asset ``status`` values while OptiSigns is still converting an upload, and when it gave up. Only
# "converting" is documented; the ready value is not, so anything else counts as ready. [INFERRED]
_PROCESSING_STATUSES = frozenset({"converting", "processing", "uploading", "pending", "queued"})
_FAILED_STATUSES = frozenset({"failed", "error", "conversion_failed"})

# Device ``status`` is a string (ONLINE/SLEEP/OFFLINE) for one client and a number in the SDK's types.
_OFFLINE_STATUSES = frozenset({"OFFLINE", "SLEEP", "DISCONNECTED"})

_TRANSLOADIT_OK = frozenset({"ASSEMBLY_COMPLETED", "ASSEMBLY_UPLOADING", "ASSEMBLY_EXECUTING"})

#: Longest wait for a write whose request timed out to show up (the server may still be working on it).
MAX_LANDING_WAIT = 60.0

# The first keyword of a GraphQL document says whether it may change state. Comments and
# whitespace may come first; an anonymous "{ ... }" is a query.
_OPERATION_TYPE = re.compile(r"^(?:\s|#[^\n]*\n|,)*(query|mutation|subscription|\{)")
_DECLARES_TEAM_ID = re.compile(r"\$teamId\s*:")

# -- selections ------------------------------------------------------------------------------------

SCREEN_FIELDS = (
    "_id deviceName name tags path currentType currentAssetId currentPlaylistId currentScheduleId "
    "lastHeartBeat status orientation"
)
ASSET_FIELDS = (
    "_id originalFileName name type fileType webLink webType status tags path processId "
    "fileSize createdAt lastUpdatedDate"
)
PLAYLIST_FIELDS = "_id name tags path totalDuration createdAt assets { _id filename fileType type duration }"
SCHEDULE_FIELDS = "_id name tags path createdAt"
SCHEDULE_ITEM_FIELDS = (
    "_id name scheduleId type assetId playlistId range { startDate endDate } repeatObject { rrule repeat }"
)


def _list_query(field: str, input_type: str, fields: str) -> str:
    return (
        f"query List($query: {input_type}!, $first: Int, $after: String, $teamId: String) {{\n"
        f"  {field}(query: $query, first: $first, after: $after, teamId: $teamId) {{\n"
        f"    page {{ edges {{ node {{ {fields} }} }} pageInfo {{ hasNextPage endCursor }} }}\n"
        "  }\n}"
    )


SCREENS_QUERY = _list_query("devices", "QueryDeviceInput", SCREEN_FIELDS)
ASSETS_QUERY = _list_query("assets", "QueryAssetInput", ASSET_FIELDS)
PLAYLISTS_QUERY = _list_query("playlists", "QueryPlaylistInput", PLAYLIST_FIELDS)
SCHEDULES_QUERY = _list_query("schedules", "QueryScheduleInput", SCHEDULE_FIELDS)
SCHEDULE_ITEMS_QUERY = _list_query("scheduleItems", "QueryScheduleItemsInput", SCHEDULE_ITEM_FIELDS)

_SAVE_ASSET = (
    "mutation SaveAsset($payload: AssetInput!, $teamId: String) {\n"
    f"  saveAsset(payload: $payload, teamId: $teamId) {{ {ASSET_FIELDS} }}\n}}"
)
_SAVE_PLAYLIST = (
    "mutation SavePlaylist($payload: PlaylistInput!, $teamId: String) {\n"
    f"  savePlaylist(payload: $payload, teamId: $teamId) {{ {PLAYLIST_FIELDS} }}\n}}"
)
_SAVE_SCHEDULE = (
    "mutation SaveSchedule($payload: ScheduleInput!, $teamId: String) {\n"
    f"  saveSchedule(payload: $payload, teamId: $teamId) {{ {SCHEDULE_FIELDS} }}\n}}"
)
_PLAYLIST_ITEMS_MUTATION = (
    "mutation {op}($id: String!, $payload: {input}!, $teamId: String) {{\n"
    "  {op}(_id: $id, payload: $payload, teamId: $teamId) {{ _id }}\n}}"
)
_UPDATE_DEVICE = (
    "mutation UpdateDevice($id: String!, $payload: UpdateDeviceInput!, $teamId: String) {\n"
    f"  updateDevice(_id: $id, payload: $payload, teamId: $teamId) {{ {SCREEN_FIELDS} }}\n}}"
)
_PUSH_TO_SCREENS = (
    "mutation PushToScreens($force: Boolean, $payload: PushToScreensInput!, $teamId: String) {\n"
    "  pushToScreens(force: $force, payload: $payload, teamId: $teamId)\n}"
)
_DELETE_OBJECTS = (
    "mutation DeleteObjects($payload: DeleteObjectInput!, $teamId: String) {\n"
    "  deleteObjects(payload: $payload, teamId: $teamId)\n}"
)
_UPDATE_OBJECT_TAGS = (
    "mutation UpdateObjectTags($payload: UpdateObjectTagsInput!, $teamId: String) {\n"
    "  updateObjectTags(payload: $payload, teamId: $teamId)\n}"
)
_ADD_SCHEDULE_ITEM = (
    "mutation AddScheduleItem($force: Boolean, $payload: AddScheduleItemInput!, $teamId: String) {\n"
    f"  addScheduleItem(force: $force, payload: $payload, teamId: $teamId) {{ {SCHEDULE_ITEM_FIELDS} }}\n}}"
)
_REMOVE_SCHEDULE_ITEM = (
    "mutation RemoveScheduleItem($payload: RemoveScheduleItemInput!, $teamId: String) {\n"
    "  removeScheduleItem(payload: $payload, scope: ALL, teamId: $teamId)\n}"
)

# -- result types (plain JSON dicts, as the API returns them) --------------------------------------


class Screen(TypedDict, total=False):
    """A device (screen) as selected by :data:`SCREEN_FIELDS`."""

    _id: str
    deviceName: str | None
    name: str | None
    tags: list[str] | None
    path: str | None
    currentType: str | None
    currentAssetId: str | None
    currentPlaylistId: str | None
    currentScheduleId: str | None
    lastHeartBeat: str | None
    status: str | int | None
    orientation: str | None


class ScreenStatus(TypedDict):
    """What a screen shows now and whether it is online; JSON-serializable for XCom."""

    id: str
    name: str | None
    tags: list[str]
    online: bool
    content_type: str | None
    content_id: str | None
    last_heartbeat: str | None


class AssetInfo(TypedDict, total=False):
    """An asset as selected by :data:`ASSET_FIELDS`."""

    _id: str
    originalFileName: str | None
    name: str | None
    type: str | None
    fileType: str | None
    webLink: str | None
    status: str | None
    tags: list[str] | None
    path: str | None
    processId: str | None
    createdAt: str | None


class PlaylistItem(TypedDict, total=False):
    """One entry of a playlist: ``_id`` is the asset id, ``duration`` is in seconds."""

    _id: str
    filename: str | None
    fileType: str | None
    type: str | None
    duration: float | None


class PlaylistInfo(TypedDict, total=False):
    """A playlist as selected by :data:`PLAYLIST_FIELDS`; ``assets`` is the ordered item list."""

    _id: str
    name: str
    tags: list[str] | None
    path: str | None
    totalDuration: float | None
    createdAt: str | None
    assets: list[PlaylistItem]


@dataclass(frozen=True)
class PlaylistEntry:
    """One wanted playlist entry: an asset and how long it shows (seconds; ``None`` keeps the default)."""

    asset_id: str
    duration: float | None = None

    @classmethod
    def coerce(cls, value: PlaylistEntryLike, *, index: int = 0) -> PlaylistEntry:
        """Accept ``"assetId"``, ``("assetId", 15)`` or ``{"asset_id": ..., "duration": ...}``."""
        if isinstance(value, PlaylistEntry):
            entry = value
        elif isinstance(value, str):
            entry = cls(value)
        elif isinstance(value, Mapping):
            asset_id = value.get("asset_id") or value.get("_id") or value.get("id")
            entry = cls(str(asset_id or ""), _seconds_or_raw(value.get("duration")))
        elif isinstance(value, Sequence) and len(value) == 2:
            entry = cls(str(value[0]), _seconds_or_raw(value[1]))
        else:
            raise SignsConfigError(
                f"items[{index}]: {value!r} is not a playlist entry. Use an asset id, "
                "(asset_id, seconds) or {'asset_id': ..., 'duration': seconds}."
            )
        if not entry.asset_id:
            raise SignsConfigError(f"items[{index}]: the asset id is empty.")
        if entry.duration is not None:
            try:
                seconds = float(entry.duration)
            except (TypeError, ValueError):
                raise SignsConfigError(
                    f"items[{index}].duration: {entry.duration!r} is not a number of seconds."
                ) from None
            if not seconds > 0:
                raise SignsConfigError(
                    f"items[{index}].duration: must be positive seconds, got {entry.duration!r}."
                )
            entry = cls(entry.asset_id, seconds)
        return entry


PlaylistEntryLike: TypeAlias = "PlaylistEntry | str | Sequence[Any] | Mapping[str, Any]"
UploadSource: TypeAlias = "str | os.PathLike[str] | bytes | ObjectStoragePath"
PushMode = Literal["NOW", "SCHEDULE", "TEMPORARILY"]
TagMode = Literal["ADD", "SET", "CLEAR"]


def operation_type(document: str) -> str:
    """``query``, ``mutation`` or ``subscription`` for a GraphQL document.

    >>> operation_type("# list\\n{ me { _id } }")
    'query'
    """
    match = _OPERATION_TYPE.match(document)
    if not match:
        raise SignsConfigError(
            "query: not a GraphQL operation. Start it with 'query', 'mutation' or '{', "
            "e.g. 'query { me { _id } }'."
        )
    keyword = match.group(1)
    return "query" if keyword == "{" else keyword


class OptiSignsHook(SignsHttpHook):
    """Talk to OptiSigns through an Airflow connection of type ``optisigns``.

    The connection holds the API key in its password field; its host, if set, replaces the
    public endpoint (e.g. the local emulator); extra ``team_id`` is sent as ``teamId`` to
    every operation that declares a ``$teamId`` variable; extra ``timeout`` bounds each request;
    extra ``upload_url`` replaces the Transloadit endpoint; extra ``max_upload_mb`` lowers or
    raises the file size limit (1 GB by default, 25 MB on the free plan).

    :param optisigns_conn_id: the Airflow connection id.
    :param timeout: seconds per request; overrides the connection's ``timeout``.
    :param retry_policy: how reads and idempotent writes are retried.
    :param max_upload_bytes: the largest file :meth:`upload_file` accepts; overrides the connection.
    """

    conn_name_attr = "optisigns_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "optisigns"
    hook_name = "OptiSigns"
    _secret_label: ClassVar[str] = "API key"

    def __init__(
        self,
        *,
        optisigns_conn_id: str = default_conn_name,
        max_upload_bytes: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(conn_id=optisigns_conn_id, **kwargs)
        self.optisigns_conn_id = optisigns_conn_id
        self._max_upload_bytes = max_upload_bytes

    @cached_property
    def base_url(self) -> str:
        """The GraphQL endpoint: the connection host (``/graphql`` added to a bare host) or the public one."""
        host = (self.connection.host or "").strip()
        if not host:
            return DEFAULT_ENDPOINT
        if "://" not in host:
            host = f"https://{host}"
        url = require_secure_url(host, field=f"connection {self.conn_id!r} host")
        # A bare origin means the gateway root; every client posts to /graphql on it.
        return url if urlpath(url) else f"{url}/graphql"

    @cached_property
    def upload_url(self) -> str:
        """Where file uploads go (Transloadit assemblies), from extra ``upload_url``."""
        url = self.extra_field("upload_url") or DEFAULT_UPLOAD_URL
        return require_secure_url(str(url), field=f"connection {self.conn_id!r} extra 'upload_url'")

    @cached_property
    def team_id(self) -> str | None:
        """The team to act in, or ``None`` for the key's default team."""
        value = self.extra_field("team_id")
        return None if value is None else str(value)

    @cached_property
    def max_upload_bytes(self) -> int:
        """The largest file :meth:`upload_file` sends (hook argument, else extra ``max_upload_mb``)."""
        if self._max_upload_bytes is not None:
            return _positive_int(self._max_upload_bytes, field="max_upload_bytes")
        megabytes = self.extra_field("max_upload_mb")
        if megabytes is None:
            return DEFAULT_MAX_UPLOAD_BYTES
        field = f"connection {self.conn_id!r} extra 'max_upload_mb'"
        try:
            value = float(megabytes)
        except (TypeError, ValueError):
            raise SignsConfigError(f"{field}: {megabytes!r} is not a number of megabytes, e.g. 25.") from None
        return _positive_int(int(value * 1024 * 1024), field=field)

    def _auth_headers(self) -> dict[str, str]:
        # Keys pasted from the web app sometimes carry zero-width characters that break the header.
        key = "".join(ch for ch in self.connection.password or "" if ch.isprintable()).strip()
        if key and key != self.connection.password:
            # The masker knows the raw password; the header carries this cleaned form.
            register_secret(key)
        return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    # -- core ---------------------------------------------------------------------------------

    def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        """Run one GraphQL operation and return its ``data``.

        Queries are retried on network errors, 429 and 5xx. Mutations are sent once unless
        ``idempotent=True`` says that repeating them is harmless (setting a device's content is;
        adding playlist items is not).

        :raises OptiSignsGraphQLError: the response has an ``errors`` array (OptiSigns answers
            errors with HTTP 200).
        :raises OptiSignsScopeError: the API key lacks the scope for the operation.
        """
        kind = operation_type(query)
        if kind == "subscription":
            raise SignsConfigError("query: subscriptions need a websocket; use a query or a mutation.")
        if idempotent is None:
            idempotent = kind == "query"
        response = self._send("POST", self.base_url, idempotent=idempotent, json=self._body(query, variables))
        return self._data_or_raise(response_json(response), response)

    async def aexecute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a GraphQL *query* without blocking the event loop (for triggers, which only read)."""
        if operation_type(query) != "query":
            raise SignsConfigError("aexecute runs queries only: triggers must never change anything.")
        await self.aconnection()
        response = await self._asend(
            "POST", self.base_url, idempotent=True, json=self._body(query, variables)
        )
        return self._data_or_raise(response_json(response), response)

    async def apaginate(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        connection_field: str,
        page_size: int = 500,
    ) -> list[dict[str, Any]]:
        """The async twin of :meth:`paginate` (queries only), returning all nodes."""
        nodes: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            data = await self.aexecute(query, {**(variables or {}), "first": page_size, "after": after})
            page = ((data or {}).get(connection_field) or {}).get("page") or {}
            nodes.extend(edge["node"] for edge in page.get("edges") or [])
            info = page.get("pageInfo") or {}
            cursor = info.get("endCursor")
            if not info.get("hasNextPage") or not cursor or cursor == after:
                return nodes
            after = cursor

    async def aget_asset(self, asset_id: str) -> AssetInfo:
        """:meth:`get_asset` without blocking the event loop (for triggers)."""
        variables = {"query": {"_id": _required(asset_id, field="asset_id")}}
        for asset in await self.apaginate(ASSETS_QUERY, variables, connection_field="assets"):
            if asset.get("_id") == asset_id:
                return asset  # type: ignore[return-value]
        raise OptiSignsNotFoundError(f"OptiSigns has no asset with id {asset_id!r} in this team.")

    async def alist_screens(self) -> list[Screen]:
        """:meth:`list_screens` (all of the team's screens) without blocking the event loop."""
        return await self.apaginate(SCREENS_QUERY, {"query": {}}, connection_field="devices")  # type: ignore[return-value]

    def _body(self, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        payload_vars = dict(variables or {})
        if self.team_id is not None and "teamId" not in payload_vars and _DECLARES_TEAM_ID.search(query):
            payload_vars["teamId"] = self.team_id
        return {"query": query, "variables": payload_vars}

    def paginate(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        connection_field: str,
        page_size: int = 100,
    ) -> Iterator[dict[str, Any]]:
        """Yield every node of a Relay-style list, one page at a time.

        The query must declare ``$first: Int`` and ``$after: String`` and select
        ``<connection_field>(first: $first, after: $after, ...) { page { edges { node {...} }
        pageInfo { hasNextPage endCursor } } }``.
        """
        if page_size < 1:
            raise SignsConfigError("page_size must be at least 1.")
        after: str | None = None
        while True:
            data = self.execute(query, {**(variables or {}), "first": page_size, "after": after})
            page = ((data or {}).get(connection_field) or {}).get("page") or {}
            for edge in page.get("edges") or []:
                yield edge["node"]
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            cursor = info.get("endCursor")
            if not cursor or cursor == after:
                raise SignsApiError(
                    f"OptiSigns said {connection_field} has a next page but gave no new endCursor; "
                    "stopping rather than looping. Select pageInfo { hasNextPage endCursor }."
                )
            after = cursor

    def test_connection(self) -> tuple[bool, str]:
        """Check the key with a cheap read (``me``); used by the UI's Test button."""
        try:
            me = self.execute("query { me { _id email } }")["me"] or {}
        except Exception as exc:
            return False, str(exc)
        who = me.get("email") or me.get("_id") or "unknown user"
        return True, f"Connected to OptiSigns at {self.base_url} as {who}."

    def _list(self, query: str, field: str, filters: Mapping[str, Any], page_size: int = 500) -> list[Any]:
        query_input = {key: value for key, value in filters.items() if value not in (None, [], ())}
        return list(self.paginate(query, {"query": query_input}, connection_field=field, page_size=page_size))

    def _create_once(
        self,
        mutation: str,
        variables: dict[str, Any],
        *,
        field: str,
        find_created: Callable[[], Any],
        what: str,
    ) -> Any:
        """Send a creating mutation once; when its outcome is unknown, look for the object first.

        A create is never retried blindly: after a lost answer, ``find_created`` searches for what
        the first request may have made (by name, tag or upload id).

        - The connection dropped (the server finished or never started): if nothing is found,
          the create is sent a second (and last) time.
        - The request timed out: the server may still be working on it and apply it later, so a
          resend could create the object twice. The hook looks again for up to
          ``min(2 * timeout, 60)`` seconds; if the object still has not appeared it raises
          :class:`AmbiguousWriteError` (``timed_out=True``) instead of sending again.
        """
        try:
            return self.execute(mutation, variables, idempotent=False)[field]
        except AmbiguousWriteError as exc:
            found = self._look_after_lost_answer(find_created, timed_out=exc.timed_out)
            if found:
                self.log.warning("The answer to creating %s was lost, but it was created; using it.", what)
                return found
            if exc.timed_out:
                raise AmbiguousWriteError(
                    f"Creating {what} timed out and it had not appeared {self._landing_wait():.0f}s later. "
                    "OptiSigns may still create it, so it was not sent again: check OptiSigns before "
                    "retrying (a retry of the task looks it up first where it can).",
                    method=exc.method,
                    url=exc.url,
                    timed_out=True,
                ) from exc
            self.log.warning(
                "The answer to creating %s was lost and it does not exist; creating it again.", what
            )
            return self.execute(mutation, variables, idempotent=False)[field]

    def _landing_wait(self) -> float:
        """How long a timed-out write gets to show up: twice the time it already had, at most 60 s."""
        return min(2 * self.timeout, MAX_LANDING_WAIT)

    def _look_after_lost_answer(self, look: Callable[[], Any], *, timed_out: bool) -> Any:
        """``look()`` once; after a timeout, keep looking until it finds something or the wait is over."""
        found = look()
        if found or not timed_out:
            return found
        deadline = time.monotonic() + self._landing_wait()
        interval = max(0.2, min(2.0, self.timeout / 2))
        while not found and time.monotonic() < deadline:
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            found = look()
        return found

    # -- screens ------------------------------------------------------------------------------

    def list_screens(
        self, *, tags: Iterable[str] | None = None, path: str | None = None, name: str | None = None
    ) -> list[Screen]:
        """The team's screens, optionally filtered by the API on tags, folder path or exact name."""
        filters = {"tags": _str_list(tags, field="tags") if tags else None, "path": path, "deviceName": name}
        return self._list(SCREENS_QUERY, "devices", filters)

    def get_screen(self, screen_id: str) -> Screen:
        """One screen by id (OptiSigns has no single-item query: a filtered list)."""
        found = self._list(SCREENS_QUERY, "devices", {"_id": _required(screen_id, field="screen_id")})
        for screen in found:
            if screen.get("_id") == screen_id:
                return screen
        raise OptiSignsNotFoundError(f"OptiSigns has no screen with id {screen_id!r} in this team.")

    def find_screens(
        self,
        *,
        ids: Iterable[str] = (),
        names: Iterable[str] = (),
        tags: Iterable[str] = (),
        path: str | None = None,
    ) -> list[Screen]:
        """Screens matching any of ``ids``, ``names`` (``deviceName``), ``tags`` or folder ``path``.

        A folder matches its own screens and those of its subfolders: ``/Lobby`` takes
        ``/Lobby`` and ``/Lobby/East``, never ``/Lobby2``.

        One listing of the team's screens, matched here; every id, name and tag must match at least
        one screen, else :class:`UnknownScreensError` lists the unknown ones and the known ones.
        """
        ids, names, tags = (
            _str_list(ids, field="screen_ids"),
            _str_list(names, field="screen_names"),
            _str_list(tags, field="tags"),
        )
        if not (ids or names or tags or path):
            raise SignsConfigError("No screens given: pass screen ids, screen names, tags or a folder path.")
        if tags and not (ids or names or path):
            # Tags only: let the API filter, one query per tag, instead of listing every screen.
            tagged: dict[str, Screen] = {}
            for tag in tags:
                matching = [s for s in self.list_screens(tags=[tag]) if tag in (s.get("tags") or [])]
                if not matching:
                    break
                tagged.update((s["_id"], s) for s in matching)
            else:
                return list(tagged.values())
        screens = self.list_screens()
        by_id = {s["_id"]: s for s in screens}
        by_name: dict[str, list[Screen]] = {}
        by_tag: dict[str, list[Screen]] = {}
        for screen in screens:
            for name in {screen.get("deviceName"), screen.get("name")} - {None}:
                by_name.setdefault(str(name), []).append(screen)
            for tag in screen.get("tags") or []:
                by_tag.setdefault(tag, []).append(screen)
        norm_path = _folder(path) if path else None
        _check_known("screen id", ids, by_id)
        _check_known("screen name", names, by_name)
        _check_known("screen tag", tags, by_tag)
        chosen: dict[str, Screen] = {}
        for screen_id in ids:
            chosen[screen_id] = by_id[screen_id]
        for group in [by_name[n] for n in names] + [by_tag[t] for t in tags]:
            chosen.update((s["_id"], s) for s in group)
        if norm_path:
            in_folder = [s for s in screens if _in_folder(s.get("path"), norm_path)]
            if not in_folder:
                known = sorted({_folder(s.get("path")) for s in screens})
                raise UnknownScreensError(
                    f"No screen is in folder {path!r}. Folders with screens: {', '.join(known) or 'none'}.",
                    unknown=[str(path)],
                    known=known,
                )
            chosen.update((s["_id"], s) for s in in_folder)
        return list(chosen.values())

    def screens_status(
        self,
        screens: Iterable[Screen] | None = None,
        *,
        now: datetime | None = None,
        max_heartbeat_age: timedelta = DEFAULT_HEARTBEAT_MAX_AGE,
    ) -> list[ScreenStatus]:
        """What each screen shows now and whether it is online (all the team's screens by default)."""
        listed = self.list_screens() if screens is None else list(screens)
        return [screen_status(s, now=now, max_heartbeat_age=max_heartbeat_age) for s in listed]

    # -- assets -------------------------------------------------------------------------------

    def list_assets(
        self,
        *,
        name: str | None = None,
        tags: Iterable[str] | None = None,
        asset_type: str | None = None,
    ) -> list[AssetInfo]:
        """The team's assets, optionally filtered by exact name (``originalFileName``), tags or type."""
        filters = {
            "originalFileName": name,
            "tags": _str_list(tags, field="tags") if tags else None,
            "type": asset_type,
        }
        return self._list(ASSETS_QUERY, "assets", filters)

    def get_asset(self, asset_id: str) -> AssetInfo:
        """One asset by id."""
        for asset in self._list(ASSETS_QUERY, "assets", {"_id": _required(asset_id, field="asset_id")}):
            if asset.get("_id") == asset_id:
                return asset
        raise OptiSignsNotFoundError(f"OptiSigns has no asset with id {asset_id!r} in this team.")

    def get_upload_options(self) -> tuple[str, str]:
        """Fresh signed Transloadit parameters: ``(params_json, signature)``.

        The signature covers the exact params string, so it is serialised compactly (as the
        official cookbook does) or passed through untouched when the API already sends a string.
        """
        data = self.execute("query UploadOptions($teamId: String) { getFileUploadOptions(teamId: $teamId) }")
        options = data.get("getFileUploadOptions")
        if isinstance(options, str):
            options = json.loads(options)
        if not isinstance(options, dict) or "params" not in options or "signature" not in options:
            raise SignsApiError("OptiSigns getFileUploadOptions answered without params and signature.")
        params = options["params"]
        if not isinstance(params, str):
            params = json.dumps(params, separators=(",", ":"))
        return params, str(options["signature"])

    def upload_file(
        self,
        source: UploadSource,
        *,
        name: str | None = None,
        filename: str | None = None,
        tags: Iterable[str] = (),
        path: str | None = None,
    ) -> AssetInfo:
        """Upload a file and register it as an asset (status ``converting`` until OptiSigns is done).

        The three steps of the API: signed upload options, a multipart POST of the file to the
        upload service (streamed from disk or object storage: memory does not grow with the
        file's size), then ``saveAsset`` with the upload's id. Everything is checked before the
        first request: the file exists, its type is one OptiSigns plays, and it is within
        :attr:`max_upload_bytes`.

        :param source: a local path, an object storage URL (``s3://bucket/key.png``), an
            :class:`~airflow.sdk.ObjectStoragePath`, or the file's bytes (then ``filename`` is
            required, for its extension).
        :param name: the asset's name in OptiSigns; defaults to the file name. The file's
            extension is appended when the name lacks it (``"Menu"`` becomes ``"Menu.png"``).
        :param filename: the file name sent with the upload; defaults to the source's name.
        :param tags: tags for the asset, in addition to :data:`PROVIDER_TAG`.
        :param path: the OptiSigns folder, e.g. ``"/Lobby"``; ``None`` is the top folder.
        :return: the new asset; wait for it with :meth:`wait_for_asset_ready`.
        """
        upload = _UploadFile.inspect(source, filename=filename, max_bytes=self.max_upload_bytes)
        asset_name = (name or upload.filename).strip()
        extension = PurePath(upload.filename).suffix
        if not asset_name.lower().endswith(extension.lower()):
            # OptiSigns names a file asset with its extension; adding it here keeps look-ups by name exact.
            asset_name += extension
        all_tags = _with_provider_tag(tags)
        params, signature = self.get_upload_options()
        assembly = self._post_upload(upload, params=params, signature=signature)
        payload = {
            "type": "file",
            "originalFileName": asset_name,
            "processId": assembly["assembly_id"],
            "status": "converting",
            "path": path,
            "tags": all_tags,
        }

        def find_created() -> AssetInfo | None:
            return next(
                (
                    a
                    for a in self.list_assets(name=asset_name)
                    if a.get("processId") == assembly["assembly_id"]
                ),
                None,
            )

        asset = self._create_once(
            _SAVE_ASSET,
            {"payload": payload},
            field="saveAsset",
            find_created=find_created,
            what=f"asset {asset_name!r}",
        )
        self.log.info("Uploaded %s (%d bytes) as asset %s.", upload.filename, upload.size, asset.get("_id"))
        return asset

    def _post_upload(self, upload: _UploadFile, *, params: str, signature: str) -> dict[str, Any]:
        """POST the file to the upload service, streamed; the API key is not sent there."""
        from requests_toolbelt import MultipartEncoder

        opened: list[IO[bytes]] = []
        # One random boundary per upload (a fixed one could occur in the file and cut it short);
        # made here, outside body(), so a retried attempt still matches the Content-Type below.
        boundary = f"airflow-provider-signs-{uuid.uuid4().hex}"

        def body() -> MultipartEncoder:
            for handle in opened:
                handle.close()
            opened.clear()
            handle = upload.open()
            opened.append(handle)
            fields = {
                "params": params,
                "signature": signature,
                "file": (upload.filename, handle, "application/octet-stream"),
            }
            return MultipartEncoder(fields=fields, boundary=boundary)

        content_type = f"multipart/form-data; boundary={boundary}"
        # Headers set to None are dropped from the session's defaults: the upload service gets no
        # OptiSigns key. A repeated upload only leaves an unused file there (no asset is created
        # until saveAsset), so it is safe to retry.
        headers = {"Authorization": None, "Content-Type": content_type}
        try:
            response = self._send(
                "POST", self.upload_url, idempotent=True, data=body, headers=headers, check=False
            )
        finally:
            for handle in opened:
                handle.close()
        result = response_json(response)
        if response.status_code >= 400 or not isinstance(result, dict) or result.get("error"):
            detail = result.get("message") or result.get("error") if isinstance(result, dict) else None
            raise SignsApiError(
                f"The upload of {upload.filename} to {self.upload_url} failed (HTTP {response.status_code})"
                + (f": {detail}" if detail else "."),
                status=response.status_code,
                api_message=None if detail is None else str(detail),
            )
        if not result.get("assembly_id") or result.get("ok") not in _TRANSLOADIT_OK:
            raise SignsApiError(
                f"The upload service did not accept {upload.filename}: status {result.get('ok')!r}."
            )
        return result

    def wait_for_asset_ready(
        self, asset_id: str, *, timeout: float = 600, poll_interval: float = 5
    ) -> AssetInfo:
        """Poll until OptiSigns has converted the asset; return it.

        :raises AssetProcessingError: the conversion failed.
        :raises OptiSignsTimeoutError: still converting after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            asset = self.get_asset(asset_id)
            state = asset_state(asset)
            if state == "ready":
                return asset
            if state == "failed":
                raise AssetProcessingError(
                    f"OptiSigns could not process asset {asset_id} ({asset.get('originalFileName')}): "
                    f"status {asset.get('status')!r}. Check that the file opens and re-upload it."
                )
            if time.monotonic() + poll_interval > deadline:
                raise OptiSignsTimeoutError(
                    f"Asset {asset_id} was still {asset.get('status')!r} after {timeout:.0f}s."
                )
            time.sleep(poll_interval)

    def upsert_website_asset(
        self,
        name: str,
        url: str,
        *,
        tags: Iterable[str] = (),
        path: str | None = None,
    ) -> AssetInfo:
        """Create the website asset ``name`` showing ``url``, or update the one that exists.

        A re-run updates the same asset instead of adding another one. When several website
        assets share the name, the oldest is updated.
        """
        name = _required(name, field="name")
        url = _web_url(url)
        all_tags = _with_provider_tag(tags)
        existing = self._find_website_asset(name)
        payload: dict[str, Any] = {
            "type": "web",
            "subType": "static",
            "fileType": "web",
            "webType": "website",
            "originalFileName": name,
            "webLink": url,
            "tags": all_tags,
        }
        if path is not None:
            payload["path"] = path
        if existing:
            payload["_id"] = existing["_id"]
            payload["tags"] = _merge_tags(existing.get("tags"), all_tags)
            # Saving the same fields on the same _id again changes nothing: safe to retry.
            return self.execute(_SAVE_ASSET, {"payload": payload}, idempotent=True)["saveAsset"]
        return self._create_once(
            _SAVE_ASSET,
            {"payload": payload},
            field="saveAsset",
            find_created=lambda: self._find_website_asset(name),
            what=f"website asset {name!r}",
        )

    def _find_website_asset(self, name: str) -> AssetInfo | None:
        return _oldest(a for a in self.list_assets(name=name) if (a.get("type") == "web" or a.get("webLink")))

    def tag_assets(self, asset_ids: Iterable[str], tags: Iterable[str], *, mode: TagMode = "ADD") -> None:
        """Add (``ADD``), replace (``SET``) or remove all (``CLEAR``) tags of assets, in one call."""
        ids = _str_list(asset_ids, field="asset_ids")
        if not ids:
            raise SignsConfigError("asset_ids: give at least one asset id.")
        if mode not in ("ADD", "SET", "CLEAR"):
            raise SignsConfigError(f"mode: {mode!r} is not one of ADD, SET, CLEAR.")
        tag_list = _str_list(tags, field="tags")
        if mode != "CLEAR" and not tag_list:
            raise SignsConfigError("tags: give at least one tag (or use mode='CLEAR').")
        payload = {"ids": ids, "type": "ASSET", "mutation": mode, "tags": tag_list}
        # The end state is the same however many times it is applied.
        self.execute(_UPDATE_OBJECT_TAGS, {"payload": payload}, idempotent=True)

    def delete_assets(self, asset_ids: Iterable[str]) -> list[str]:
        """Delete assets in one call; return the ids deleted."""
        ids = _str_list(asset_ids, field="asset_ids")
        if ids:
            self._delete_objects(ids, "ASSET")
        return ids

    def _delete_objects(self, ids: list[str], object_type: str) -> None:
        # Deleting what is already gone leaves the same end state, so a retry after a lost answer is fine.
        self.execute(_DELETE_OBJECTS, {"payload": {"ids": ids, "type": object_type}}, idempotent=True)

    def delete_unused_provider_assets(self, asset_ids: Iterable[str]) -> list[str]:
        """Delete those of ``asset_ids`` that the provider created and nothing uses any more.

        An asset is kept when it lacks :data:`PROVIDER_TAG`, is in a playlist, or is what a
        screen shows. Returns the ids deleted.
        """
        ids = set(_str_list(asset_ids, field="asset_ids"))
        if not ids:
            return []
        ours = {
            a["_id"] for a in self.list_assets(tags=[PROVIDER_TAG]) if PROVIDER_TAG in (a.get("tags") or [])
        }
        doomed = sorted(ids & ours)
        if doomed:
            doomed = sorted(set(doomed) - self._asset_ids_in_use())
        self.delete_assets(doomed)
        return doomed

    def _asset_ids_in_use(self) -> set[str]:
        """Assets in a playlist, in a schedule item, or shown by a screen now.

        Not visible here: pushes scheduled for later (``pushToScreens`` with ``SCHEDULE``), which
        the API does not list. [INFERRED] Schedule items are read per schedule, as the documented
        ``scheduleItems`` query takes a ``scheduleId``.
        """
        in_use = {str(item.get("_id")) for p in self.list_playlists() for item in p.get("assets") or []}
        for screen in self.list_screens():
            kind, content_id = screen_content(screen)
            if kind == "ASSET" and content_id:
                in_use.add(str(content_id))
        for schedule in self.list_schedules():
            for item in self.list_schedule_items(schedule["_id"]):
                if item.get("assetId"):
                    in_use.add(str(item["assetId"]))
        return in_use

    def cleanup_assets(
        self,
        *,
        older_than: timedelta,
        tags: Iterable[str] = (),
        now: datetime | None = None,
        dry_run: bool = False,
        keep_in_use: bool = True,
    ) -> list[str]:
        """Delete the assets the provider created (tag :data:`PROVIDER_TAG`) older than ``older_than``.

        :param tags: only assets that also carry all of these tags (e.g. one DAG's tag).
        :param now: the reference time (default: now, UTC).
        :param dry_run: only return what would be deleted.
        :param keep_in_use: keep assets that are in a playlist or a schedule item, or that a screen
            shows now (default): an old asset may still be on screen. ``False`` deletes them too.
        :return: the ids deleted (or to delete).
        """
        if older_than < timedelta(0):
            raise SignsConfigError("older_than: must not be negative.")
        wanted = set(_str_list(tags, field="tags")) | {PROVIDER_TAG}
        cutoff = (now or datetime.now(timezone.utc)) - older_than
        old = []
        for asset in self.list_assets(tags=[PROVIDER_TAG]):
            created = parse_api_time(asset.get("createdAt"))
            if wanted <= set(asset.get("tags") or []) and created is not None and created < cutoff:
                old.append(asset["_id"])
        if old and keep_in_use:
            in_use = self._asset_ids_in_use()
            kept = [asset_id for asset_id in old if asset_id in in_use]
            if kept:
                self.log.info("Keeping %d old asset(s) still in use: %s", len(kept), ", ".join(kept))
            old = [asset_id for asset_id in old if asset_id not in in_use]
        if old and not dry_run:
            self.delete_assets(old)
        self.log.info(
            "%s %d provider asset(s) older than %s.",
            "Would delete" if dry_run else "Deleted",
            len(old),
            cutoff,
        )
        return old

    # -- playlists ----------------------------------------------------------------------------

    def list_playlists(
        self, *, name: str | None = None, tags: Iterable[str] | None = None
    ) -> list[PlaylistInfo]:
        """The team's playlists, optionally filtered by exact name or tags."""
        return self._list(
            PLAYLISTS_QUERY,
            "playlists",
            {"name": name, "tags": _str_list(tags, field="tags") if tags else None},
        )

    def get_playlist(self, playlist_id: str) -> PlaylistInfo:
        """One playlist by id, with its ordered items."""
        for playlist in self._list(
            PLAYLISTS_QUERY, "playlists", {"_id": _required(playlist_id, field="playlist_id")}
        ):
            if playlist.get("_id") == playlist_id:
                return playlist
        raise OptiSignsNotFoundError(f"OptiSigns has no playlist with id {playlist_id!r} in this team.")

    def find_playlist(self, name: str) -> PlaylistInfo | None:
        """The playlist called ``name`` (the oldest by ``createdAt``, if several are), or ``None``."""
        return _oldest(p for p in self.list_playlists(name=name) if p.get("name") == name)

    def upsert_playlist(
        self, name: str, *, tags: Iterable[str] = (), path: str | None = None
    ) -> PlaylistInfo:
        """Create the playlist ``name``, or update the tags and folder of the one that exists."""
        name = _required(name, field="name")
        return self._upsert_by_name(
            name,
            tags,
            path,
            find=lambda: self.find_playlist(name),
            mutation=_SAVE_PLAYLIST,
            field="savePlaylist",
            what=f"playlist {name!r}",
        )

    def _upsert_by_name(
        self,
        name: str,
        tags: Iterable[str],
        path: str | None,
        *,
        find: Callable[[], Any],
        mutation: str,
        field: str,
        what: str,
    ) -> Any:
        """Create a named object (tags include :data:`PROVIDER_TAG`), or merge tags and set the folder of the one found."""
        all_tags = _with_provider_tag(tags)
        existing = find()
        payload: dict[str, Any] = {"name": name, "tags": all_tags}
        if path is not None:
            payload["path"] = path
        if existing:
            merged = _merge_tags(existing.get("tags"), all_tags)
            if merged == list(existing.get("tags") or []) and (path is None or path == existing.get("path")):
                return existing
            payload.update(_id=existing["_id"], tags=merged)
            # Saving the same fields on the same _id again changes nothing: safe to retry.
            return self.execute(mutation, {"payload": payload}, idempotent=True)[field]
        return self._create_once(mutation, {"payload": payload}, field=field, find_created=find, what=what)

    def set_playlist_items(self, playlist_id: str, items: Iterable[PlaylistEntryLike]) -> PlaylistInfo:
        """Make the playlist's items exactly ``items``, in order, with their durations.

        Only the difference is sent (the common leading items stay), so a re-run with the same
        items sends nothing and the playlist never grows. New items are added *before* the old
        ones are removed, so screens playing the playlist never see it empty. A lost answer is
        handled as in :meth:`add_playlist_items` (read back, never resent blindly). The result is
        read back and checked.

        :raises SignsApiError: the playlist still differs after three rounds (the message names
            the positions), e.g. when the API ignores a duration.
        """
        wanted = [PlaylistEntry.coerce(item, index=i) for i, item in enumerate(items)]
        playlist = self.get_playlist(playlist_id)
        for _ in range(3):
            if not _playlist_differences(playlist, wanted):
                return playlist
            self._converge_playlist(playlist, wanted)
            playlist = self.get_playlist(playlist_id)
        differences = _playlist_differences(playlist, wanted)
        if differences:
            raise SignsApiError(
                f"Playlist {playlist_id} does not hold the wanted items after 3 rounds of changes: "
                f"{'; '.join(differences)}. OptiSigns did not apply part of the change."
            )
        return playlist

    def sync_playlist(
        self,
        name: str,
        items: Iterable[PlaylistEntryLike],
        *,
        tags: Iterable[str] = (),
        path: str | None = None,
        delete_replaced_assets: bool = False,
    ) -> dict[str, Any]:
        """Make the playlist ``name`` (created if missing) hold exactly ``items``; a JSON summary.

        :param delete_replaced_assets: delete the assets this sync took out of the playlist, if
            the provider created them and nothing else uses them (:meth:`delete_unused_provider_assets`).
        :return: ``{"playlist_id", "name", "items": [{"asset_id", "duration"}], "deleted_asset_ids"}``.
        """
        entries = [PlaylistEntry.coerce(item, index=i) for i, item in enumerate(items)]
        playlist = self.upsert_playlist(name, tags=tags, path=path)
        before = set(self._item_ids(playlist))
        playlist = self.set_playlist_items(playlist["_id"], entries)
        replaced = before - set(self._item_ids(playlist))
        deleted = self.delete_unused_provider_assets(sorted(replaced)) if delete_replaced_assets else []
        return {
            "playlist_id": playlist["_id"],
            "name": playlist.get("name"),
            "items": [
                {"asset_id": i.get("_id"), "duration": i.get("duration")}
                for i in playlist.get("assets") or []
            ],
            "deleted_asset_ids": deleted,
        }

    def _converge_playlist(self, playlist: PlaylistInfo, wanted: list[PlaylistEntry]) -> None:
        """Send the changes that turn ``playlist`` into ``wanted``: add the new tail, remove the old, durations."""
        playlist_id = playlist["_id"]
        current = self._item_ids(playlist)
        keep = 0
        while keep < min(len(current), len(wanted)) and current[keep] == wanted[keep].asset_id:
            keep += 1
        new_tail = [e.asset_id for e in wanted[keep:]]
        # Add first, at the end, then remove the old items: the live playlist is never empty, and
        # the old positions stay valid because everything added sits after them.
        with_tail = current + new_tail
        if new_tail:
            self._apply_items_change(
                playlist_id,
                current,
                with_tail,
                lambda: self._add_items(playlist_id, new_tail, len(current)),
                what="add items to",
            )
        if keep < len(current):
            old = list(range(keep, len(current)))
            self._apply_items_change(
                playlist_id,
                with_tail,
                current[:keep] + new_tail,
                lambda: self._playlist_items("removePlaylistItems", playlist_id, {"pos": old}),
                what="remove items from",
            )
        old_durations = [item.get("duration") for item in playlist.get("assets") or []]
        by_duration: dict[float, list[int]] = {}
        for pos, entry in enumerate(wanted):
            unchanged = pos < keep and _same_seconds(old_durations[pos], entry.duration)
            if entry.duration is not None and not unchanged:
                by_duration.setdefault(entry.duration, []).append(pos)
        if by_duration:
            self._set_durations(playlist_id, by_duration)

    def _playlist_items(
        self, op: str, playlist_id: str, payload: dict[str, Any], *, idempotent: bool = False
    ) -> None:
        inputs = {
            "addPlaylistItems": "AddPlaylistItemsInput",
            "removePlaylistItems": "RemovePlaylistItemsInput",
            "movePlaylistItems": "MovePlaylistItemsInput",
            "updatePlaylistItems": "UpdatePlaylistItemsInput",
        }
        mutation = _PLAYLIST_ITEMS_MUTATION.format(op=op, input=inputs[op])
        self.execute(mutation, {"id": playlist_id, "payload": payload}, idempotent=idempotent)

    def _add_items(self, playlist_id: str, asset_ids: list[str], pos: int) -> None:
        self._playlist_items("addPlaylistItems", playlist_id, {"ids": asset_ids, "pos": pos, "type": "ASSET"})

    def _set_durations(self, playlist_id: str, by_duration: Mapping[float, list[int]]) -> None:
        items = [
            {"item": {"duration": seconds}, "pos": positions} for seconds, positions in by_duration.items()
        ]
        # Setting a duration at a position is the same however often it is done.
        self._playlist_items("updatePlaylistItems", playlist_id, {"items": items}, idempotent=True)

    def add_playlist_items(
        self,
        playlist_id: str,
        asset_ids: Iterable[str],
        *,
        position: int | None = None,
        duration: float | None = None,
    ) -> PlaylistInfo:
        """Insert assets at ``position`` (default: the end), optionally with one duration for them.

        Adding is not idempotent; when the answer is lost, the playlist is read back to see
        whether the items went in before anything is sent again.
        """
        ids = _str_list(asset_ids, field="asset_ids")
        if not ids:
            raise SignsConfigError("asset_ids: give at least one asset id.")
        if duration is not None:
            PlaylistEntry.coerce((ids[0], duration))
        before = self._item_ids(self.get_playlist(playlist_id))
        pos = len(before) if position is None else position
        if not 0 <= pos <= len(before):
            raise SignsConfigError(f"position: {position} is outside the playlist (0..{len(before)}).")
        expected = before[:pos] + ids + before[pos:]
        self._apply_items_change(
            playlist_id, before, expected, lambda: self._add_items(playlist_id, ids, pos), what="add items to"
        )
        if duration is not None:
            self._set_durations(playlist_id, {float(duration): list(range(pos, pos + len(ids)))})
        return self.get_playlist(playlist_id)

    def remove_playlist_items(self, playlist_id: str, positions: Iterable[int]) -> PlaylistInfo:
        """Remove the items at these 0-based positions (find them with :meth:`get_playlist`)."""
        before = self._item_ids(self.get_playlist(playlist_id))
        pos = sorted(set(_positions(positions, size=len(before), field="positions")))
        expected = [item for i, item in enumerate(before) if i not in pos]
        self._apply_items_change(
            playlist_id,
            before,
            expected,
            lambda: self._playlist_items("removePlaylistItems", playlist_id, {"pos": pos}),
            what="remove items from",
        )
        return self.get_playlist(playlist_id)

    def move_playlist_items(self, playlist_id: str, positions: Iterable[int], to: int) -> PlaylistInfo:
        """Move the items at ``positions`` so that they start at index ``to`` of the result."""
        before = self._item_ids(self.get_playlist(playlist_id))
        froms = _positions(positions, size=len(before), field="positions")
        moved = [before[i] for i in froms]
        rest = [item for i, item in enumerate(before) if i not in set(froms)]
        if not 0 <= to <= len(rest):
            raise SignsConfigError(f"to: {to} is outside the playlist (0..{len(rest)}).")
        expected = rest[:to] + moved + rest[to:]
        self._apply_items_change(
            playlist_id,
            before,
            expected,
            lambda: self._playlist_items("movePlaylistItems", playlist_id, {"froms": froms, "to": to}),
            what="move items in",
        )
        return self.get_playlist(playlist_id)

    def _apply_items_change(
        self, playlist_id: str, before: list[str], expected: list[str], send: Callable[[], None], *, what: str
    ) -> None:
        """Send a playlist change once; when its answer is lost, read the playlist to see what happened.

        Applied: done. Dropped connection and unchanged: sent again (once). Timed out and
        unchanged: the server may still apply it, so the playlist is read again for up to
        ``min(2 * timeout, 60)`` seconds and, if still unchanged, :class:`AmbiguousWriteError`
        is raised rather than risk applying the change twice.
        """
        try:
            send()
        except AmbiguousWriteError as exc:

            def changed() -> tuple[list[str]] | None:
                # A one-item tuple, so that a playlist emptied by the change still counts as found.
                items = self._item_ids(self.get_playlist(playlist_id))
                return None if items == before else (items,)

            seen = self._look_after_lost_answer(changed, timed_out=exc.timed_out)
            now = seen[0] if seen else before
            if now == expected:
                return
            if now == before and exc.timed_out:
                raise AmbiguousWriteError(
                    f"The request to {what} playlist {playlist_id} timed out and had not applied "
                    f"{self._landing_wait():.0f}s later. OptiSigns may still apply it, so it was not sent "
                    "again: check the playlist, then use set_playlist_items.",
                    method=exc.method,
                    url=exc.url,
                    timed_out=True,
                ) from exc
            if now == before:
                self.log.warning(
                    "The request to %s playlist %s was lost before it applied; sending it again.",
                    what,
                    playlist_id,
                )
                send()
                return
            raise SignsApiError(
                f"Could not {what} playlist {playlist_id}: the answer was lost and the playlist changed "
                f"in another way meanwhile (now {now}). Check it, then use set_playlist_items."
            ) from None

    @staticmethod
    def _item_ids(playlist: PlaylistInfo) -> list[str]:
        return [str(item.get("_id")) for item in playlist.get("assets") or []]

    def delete_playlists(self, playlist_ids: Iterable[str]) -> list[str]:
        """Delete playlists in one call; return the ids deleted."""
        ids = _str_list(playlist_ids, field="playlist_ids")
        if ids:
            self._delete_objects(ids, "PLAYLIST")
        return ids

    # -- delivery -----------------------------------------------------------------------------

    def assign_content(
        self,
        screen_ids: Iterable[str],
        *,
        asset_id: str | None = None,
        playlist_id: str | None = None,
        schedule_id: str | None = None,
    ) -> list[Screen]:
        """Set what screens play (``updateDevice``, one call per screen); ``None`` everywhere blanks them.

        This is the screen's own setting and stays until changed. To reach many screens in one
        call, or to schedule or take over temporarily, use :meth:`push_to_screens`. Every id is
        checked against the team's screens (one listing) before any screen is changed.

        :raises UnknownScreensError: an id is not one of the team's screens; nothing was changed.
        """
        ids = list(dict.fromkeys(_str_list(screen_ids, field="screen_ids")))
        if not ids:
            raise SignsConfigError("screen_ids: give at least one screen id.")
        kind, content_id = _content(asset_id, playlist_id, schedule_id, allow_none=True)
        self.find_screens(ids=ids)
        payload: dict[str, Any] = {"currentType": kind}
        if content_id:
            # The docs put a playlist id in currentAssetId, clients that work use currentPlaylistId:
            # send the field matching the type (reference §2.2).
            payload[_CONTENT_ID_FIELD[kind]] = content_id
        # Setting a screen's content to X twice leaves it showing X: safe to retry.
        return [
            self.execute(_UPDATE_DEVICE, {"id": screen_id, "payload": payload}, idempotent=True)[
                "updateDevice"
            ]
            for screen_id in ids
        ]

    def push_to_screens(
        self,
        *,
        asset_id: str | None = None,
        playlist_id: str | None = None,
        schedule_id: str | None = None,
        screen_ids: Iterable[str] = (),
        screen_names: Iterable[str] = (),
        tags: Iterable[str] = (),
        tag_rules: Iterable[str] = (),
        mode: PushMode = "NOW",
        start_at: datetime | str | None = None,
        expire_at: datetime | str | None = None,
        local_timezone: str = "UTC",
        takeover_minutes: float | None = None,
        force: bool | None = None,
    ) -> dict[str, Any]:
        """Push content to screens with one ``pushToScreens`` call, whatever the number of screens.

        Ids, names and tags are checked against one listing of the team's screens before anything
        is sent.

        :param screen_ids: target screens by id.
        :param screen_names: target screens by name (resolved to ids).
        :param tags: target every screen carrying any of these tags (each must match a screen).
        :param tag_rules: target by tag rules (names of rules defined in OptiSigns; not checked,
            so the returned ``screen_ids`` may then be empty or incomplete).
        :param mode: ``NOW``; ``SCHEDULE`` (from ``start_at``, until ``expire_at`` if given);
            ``TEMPORARILY`` (a takeover for ``takeover_minutes``, then the screens revert).
        :param start_at: for ``SCHEDULE``. A naive time (or an ISO string without an offset) is
            the screens' wall-clock time and is sent as written; an aware time (or a string with
            an offset or ``Z``) is converted to ``local_timezone`` first.
        :param expire_at: like ``start_at``.
        :param local_timezone: the screens' IANA time zone, e.g. ``"Europe/Berlin"`` (checked).
        :return: ``{"content_type", "content_id", "mode", "screen_ids", "result"}``: ``screen_ids``
            are those the API reports reached, else those resolved here; ``result`` is the API's answer.
        """
        kind, content_id = _content(asset_id, playlist_id, schedule_id)
        ids = _str_list(screen_ids, field="screen_ids")
        names = _str_list(screen_names, field="screen_names")
        tag_list = _str_list(tags, field="tags")
        rules = _str_list(tag_rules, field="tag_rules")
        if not (ids or names or tag_list or rules):
            raise SignsConfigError("No target: pass screen_ids, screen_names, tags or tag_rules.")
        payload: dict[str, Any] = {"type": mode, "currentType": kind, _CONTENT_ID_FIELD[kind]: content_id}
        if mode == "NOW":
            # Pushing the same content now again leaves the screens as they are: safe to retry.
            idempotent = True
        elif mode == "SCHEDULE":
            if start_at is None:
                raise SignsConfigError("start_at: required with mode='SCHEDULE' (when the change starts).")
            zone = _zone(local_timezone, field="local_timezone")
            start = _api_time(start_at, field="start_at", zone=zone, suffix=_PUSH_TIME_SUFFIX)
            schedule: dict[str, Any] = {"scheduleTime": start, "localTimezone": local_timezone}
            if expire_at is not None:
                end = _api_time(expire_at, field="expire_at", zone=zone, suffix=_PUSH_TIME_SUFFIX)
                if end <= start:
                    raise SignsConfigError("expire_at: must be after start_at.")
                schedule.update(expireScheduleTime=end, isCheckExpireTime=True)
            payload["scheduleData"] = schedule
            # A repeated scheduled push may queue the change twice: not retried blindly.
            idempotent = False
        elif mode == "TEMPORARILY":
            try:
                minutes = float(takeover_minutes) if takeover_minutes is not None else 0.0
            except (TypeError, ValueError):
                minutes = 0.0
            if not minutes > 0:
                raise SignsConfigError(
                    f"takeover_minutes: a positive number of minutes is required with mode='TEMPORARILY', "
                    f"got {takeover_minutes!r}."
                )
            payload["temporarilyFlashData"] = {"scheduleTimeMinutes": minutes}
            force = True if force is None else force  # as the official SDK does for a takeover
            # A repeated takeover restarts its timer: not retried blindly.
            idempotent = False
        else:
            raise SignsConfigError(f"mode: {mode!r} is not one of NOW, SCHEDULE, TEMPORARILY.")
        screens = self.find_screens(ids=ids, names=names, tags=tag_list) if (ids or names or tag_list) else []
        if names:
            # Names are resolved here; the API takes ids and tags.
            by_name = {s["_id"] for s in screens if {s.get("deviceName"), s.get("name")} & set(names)}
            ids = list(dict.fromkeys([*ids, *sorted(by_name)]))
        payload["deviceIds"] = ids
        if tag_list:
            payload["tags"] = tag_list
        if rules:
            payload["tagRules"] = rules
        variables: dict[str, Any] = {"payload": payload, "force": force}
        result = self.execute(_PUSH_TO_SCREENS, variables, idempotent=idempotent)["pushToScreens"]
        reached = result.get("deviceIds") if isinstance(result, dict) else None
        return {
            "content_type": kind,
            "content_id": content_id,
            "mode": mode,
            "screen_ids": list(reached or [s["_id"] for s in screens]),
            "result": result,
        }

    # -- schedules ----------------------------------------------------------------------------

    def list_schedules(self, *, name: str | None = None) -> list[dict[str, Any]]:
        """The team's schedules, optionally filtered by exact name."""
        return self._list(SCHEDULES_QUERY, "schedules", {"name": name})

    def upsert_schedule(
        self, name: str, *, tags: Iterable[str] = (), path: str | None = None
    ) -> dict[str, Any]:
        """Create the schedule ``name``, or return the one that exists (tags merged; the oldest if several)."""
        name = _required(name, field="name")
        return self._upsert_by_name(
            name,
            tags,
            path,
            find=lambda: _oldest(s for s in self.list_schedules(name=name) if s.get("name") == name),
            mutation=_SAVE_SCHEDULE,
            field="saveSchedule",
            what=f"schedule {name!r}",
        )

    def list_schedule_items(self, schedule_id: str) -> list[dict[str, Any]]:
        """The items of a schedule."""
        return self._list(
            SCHEDULE_ITEMS_QUERY, "scheduleItems", {"scheduleId": _required(schedule_id, field="schedule_id")}
        )

    def add_schedule_item(
        self,
        schedule_id: str,
        *,
        start: datetime | str,
        end: datetime | str,
        asset_id: str | None = None,
        playlist_id: str | None = None,
        rrule: str | None = None,
        repeat: str | None = None,
        name: str | None = None,
        force: bool = False,
        local_timezone: str | None = None,
    ) -> dict[str, Any]:
        """Play an asset or playlist from ``start`` to ``end``, repeated by an iCalendar ``rrule``.

        Times are the screens' local wall-clock time: OptiSigns stores them with a ``Z`` suffix
        but plays them as floating local times (reference §4). So 09:00 means 09:00 on each
        screen, whatever the datetime's tzinfo: an aware datetime keeps its wall-clock time
        (it is not shifted to UTC), unless ``local_timezone`` (the screens' IANA zone) is given,
        in which case it is first converted to that zone. ``end`` is the end of the first
        occurrence; the series ends at the rule's ``UNTIL``.

        :param rrule: e.g. ``"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"``; ``DTSTART`` is added from ``start``.
        :raises OptiSignsScheduleOverlapError: the item clashes with another (unless ``force``).
        """
        kind, content_id = _content(asset_id, playlist_id, None)
        zone = _zone(local_timezone, field="local_timezone") if local_timezone is not None else None
        start_s = _api_time(start, field="start", zone=zone, suffix=_SCHEDULE_TIME_SUFFIX)
        end_s = _api_time(end, field="end", zone=zone, suffix=_SCHEDULE_TIME_SUFFIX)
        if end_s <= start_s:
            raise SignsConfigError("end: must be after start.")
        payload: dict[str, Any] = {
            "scheduleId": _required(schedule_id, field="schedule_id"),
            "type": kind,
            _SCHEDULE_CONTENT_FIELD[kind]: content_id,
            "range": {"startDate": start_s, "endDate": end_s},
        }
        if name:
            payload["name"] = name
        if rrule:
            payload["repeatObject"] = {"rrule": _full_rrule(rrule, start_s), "repeat": repeat or "custom"}

        def find_created() -> dict[str, Any] | None:
            for item in self.list_schedule_items(schedule_id):
                same_range = (item.get("range") or {}).get("startDate") == start_s
                if same_range and item.get(_SCHEDULE_CONTENT_FIELD[kind]) == content_id:
                    return item
            return None

        return self._create_once(
            _ADD_SCHEDULE_ITEM,
            {"payload": payload, "force": force},
            field="addScheduleItem",
            find_created=find_created,
            what=f"an item of schedule {schedule_id}",
        )

    def remove_schedule_item(self, item_id: str) -> None:
        """Remove a schedule item (every occurrence)."""
        payload = {"_id": _required(item_id, field="item_id")}
        self.execute(_REMOVE_SCHEDULE_ITEM, {"payload": payload}, idempotent=True)

    # -- errors -------------------------------------------------------------------------------

    def _raise_for_response(self, response: requests.Response | httpx.Response, *, attempts: int) -> None:
        status = response.status_code
        if status < 400:
            return
        body = response_json(response)
        graphql_errors = body.get("errors") if isinstance(body, dict) else None
        if graphql_errors:
            # Some gateways answer errors with a non-200 status and the GraphQL shape: keep the detail.
            self._data_or_raise(body, response)
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        if status in (401, 403):
            raise self._auth_error(status)
        raise SignsApiError(
            f"OptiSigns answered HTTP {status}{tried} for POST {self.base_url}.", status=status
        )

    def _auth_error(self, status: int, api_message: str | None = None) -> OptiSignsAuthError:
        said = f": {api_message}" if api_message else ""
        return OptiSignsAuthError(
            f"OptiSigns rejected the API key of connection {self.conn_id!r} (HTTP {status}{said}). "
            "Check the key in the connection's password field and that it has not been revoked.",
            status=status,
            api_message=api_message,
        )

    def _retry_status(self, response: requests.Response | httpx.Response) -> int:
        """OptiSigns reports errors inside HTTP 200: a rate limit or server error there is retried too."""
        status = response.status_code
        if status != 200:
            return status
        body = response_json(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if not errors or body.get("data"):
            return status
        inner: list[int] = []
        for error in errors:
            code = (
                ((error.get("extensions") or {}).get("response") or {}).get("statusCode")
                if isinstance(error, dict)
                else None
            )
            inner.append(code if isinstance(code, int) else 0)
        # Only when every error is transient: a mix with a real error must surface that error.
        if inner and all(is_retryable_status(code) for code in inner):
            return inner[0]
        return status

    def _data_or_raise(self, body: Any, response: requests.Response | httpx.Response) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise SignsApiError(
                f"OptiSigns sent a response that is not JSON (HTTP {response.status_code}) from {self.base_url}.",
                status=response.status_code,
            )
        errors = body.get("errors")
        if errors:
            first: dict[str, Any] = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
            message = str(first.get("message") or "unknown error")
            extensions = first.get("extensions") or {}
            code = extensions.get("code")
            path = first.get("path")
            status = (extensions.get("response") or {}).get("statusCode")
            scope_off = any("API_SCOPE_OFF" in str(e) for e in errors)
            if not scope_off and (status in (401, 403) or str(code) in ("401", "403", "UNAUTHENTICATED")):
                # The key itself was refused, inside an HTTP 200 ([INFERRED]: OptiSigns' HTTP status for
                # a bad key is undocumented; both forms get the same error).
                raise self._auth_error(status if isinstance(status, int) else 401, api_message=message)
            cls: type[OptiSignsGraphQLError] = OptiSignsGraphQLError
            if scope_off:
                cls = OptiSignsScopeError
            elif "overlap" in message.lower():
                cls = OptiSignsScheduleOverlapError
            raise cls.from_error(message, code=code, path=path, status=status, errors=errors)
        data = body.get("data")
        if data is None:
            raise SignsApiError(
                "OptiSigns answered with neither data nor errors.", status=response.status_code
            )
        return data


# -- helpers (pure) ----------------------------------------------------------------------------------

_CONTENT_ID_FIELD = {
    "ASSET": "currentAssetId",
    "PLAYLIST": "currentPlaylistId",
    "SCHEDULE": "currentScheduleId",
}
_SCHEDULE_CONTENT_FIELD = {"ASSET": "assetId", "PLAYLIST": "playlistId"}


def urlpath(url: str) -> str:
    """The path of ``url`` without slashes at either end (empty for a bare origin)."""
    from urllib.parse import urlsplit

    return urlsplit(url).path.strip("/")


def asset_state(asset: Mapping[str, Any]) -> Literal["processing", "ready", "failed"]:
    """Whether OptiSigns is still converting an asset, is done, or failed (from its ``status``)."""
    status = str(asset.get("status") or "").strip().lower()
    if status in _PROCESSING_STATUSES:
        return "processing"
    if status in _FAILED_STATUSES:
        return "failed"
    return "ready"


def screen_content(screen: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``(type, id)`` of what a screen plays now, e.g. ``("PLAYLIST", "d87B9ARKPyH8YYBbs")``.

    For a playlist the id may sit in ``currentAssetId`` (the documented updateDevice form),
    so ``currentPlaylistId`` is preferred and ``currentAssetId`` used as a fallback.
    """
    kind = screen.get("currentType")
    if kind == "PLAYLIST":
        return kind, screen.get("currentPlaylistId") or screen.get("currentAssetId")
    if kind == "SCHEDULE":
        return kind, screen.get("currentScheduleId")
    if kind == "ASSET":
        return kind, screen.get("currentAssetId")
    return kind, None


def screen_is_online(
    screen: Mapping[str, Any],
    *,
    now: datetime | None = None,
    max_heartbeat_age: timedelta = DEFAULT_HEARTBEAT_MAX_AGE,
) -> bool:
    """Whether a screen is online: not reported offline/asleep, and heard from recently.

    ``status`` is a string for some clients and a number in the SDK's types; only the known
    offline words count. ``lastHeartBeat`` decides when present.
    """
    status = screen.get("status")
    if isinstance(status, str) and status.strip().upper() in _OFFLINE_STATUSES:
        return False
    heartbeat = parse_api_time(screen.get("lastHeartBeat"))
    if heartbeat is None:
        return isinstance(status, str) and status.strip().upper() == "ONLINE"
    return (now or datetime.now(timezone.utc)) - heartbeat <= max_heartbeat_age


def screen_status(
    screen: Mapping[str, Any],
    *,
    now: datetime | None = None,
    max_heartbeat_age: timedelta = DEFAULT_HEARTBEAT_MAX_AGE,
) -> ScreenStatus:
    """A small, JSON-serializable summary of a screen."""
    kind, content_id = screen_content(screen)
    return {
        "id": str(screen.get("_id")),
        "name": screen.get("deviceName") or screen.get("name"),
        "tags": list(screen.get("tags") or []),
        "online": screen_is_online(screen, now=now, max_heartbeat_age=max_heartbeat_age),
        "content_type": kind,
        "content_id": content_id,
        "last_heartbeat": screen.get("lastHeartBeat"),
    }


def asset_summary(asset: Mapping[str, Any]) -> dict[str, Any]:
    """The few fields of an asset worth an XCom."""
    return {
        "asset_id": asset.get("_id"),
        "name": asset.get("originalFileName") or asset.get("name"),
        "status": asset.get("status"),
        "file_type": asset.get("fileType"),
    }


def split_online(
    screens: Iterable[Mapping[str, Any]], screen_ids: list[str], *, max_heartbeat_age: float
) -> dict[str, list[str]]:
    """``{"online": [...], "offline": [...], "missing": [...]}`` for ``screen_ids``."""
    by_id = {s.get("_id"): s for s in screens}
    age = timedelta(seconds=max_heartbeat_age)
    online = [i for i in screen_ids if i in by_id and screen_is_online(by_id[i], max_heartbeat_age=age)]
    missing = [i for i in screen_ids if i not in by_id]
    offline = [i for i in screen_ids if i in by_id and i not in online]
    return {"online": online, "offline": offline, "missing": missing}


# Schedule item times: floating local wall-clock written with a Z (reference §4, their UI writes
# 09:00Z for a 9am opening). Push times come with scheduleData.localTimezone, so they are sent as
# wall-clock time in that zone without a Z, which could be read as UTC. [INFERRED] one-line change.
_SCHEDULE_TIME_SUFFIX = "Z"
_PUSH_TIME_SUFFIX = ""


def _api_time(value: datetime | str, *, field: str, zone: tzinfo | None = None, suffix: str = "Z") -> str:
    """A wall-clock time as OptiSigns writes it, e.g. ``2026-09-01T09:00:00.000Z``.

    Naive datetimes (and ISO strings without an offset) are the screens' wall-clock time and are
    sent as written. An aware datetime (or a string with an offset, ``Z`` included) is converted
    to ``zone`` when given, else keeps its own wall-clock time: it is never shifted to UTC.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
        except ValueError:
            raise SignsConfigError(
                f"{field}: {text!r} is not an ISO 8601 time, e.g. 2026-09-01T09:00:00."
            ) from None
    elif not isinstance(value, datetime):
        raise SignsConfigError(f"{field}: {value!r} is not a datetime or an ISO 8601 string.")
    if value.tzinfo is not None:
        if zone is not None:
            value = value.astimezone(zone)
        value = value.replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}{suffix}"


def _zone(name: Any, *, field: str) -> tzinfo:
    """An IANA time zone, checked before it is sent (``zoneinfo`` knows the names OptiSigns uses)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SignsConfigError(
            f"{field}: {name!r} is not an IANA time zone; use a name such as 'Europe/Berlin' or 'UTC'."
        ) from None


def _full_rrule(rrule: str, start: str) -> str:
    text = rrule.strip()
    if "FREQ=" not in text.upper():
        raise SignsConfigError(f"rrule: {rrule!r} has no FREQ; use e.g. 'FREQ=DAILY;UNTIL=20261231T235900Z'.")
    if "DTSTART" in text.upper():
        return text
    rule = text if text.upper().startswith("RRULE:") else f"RRULE:{text}"
    dtstart = start.replace("-", "").replace(":", "").split(".")[0] + "Z"
    return f"DTSTART:{dtstart}\n{rule}"


def _content(
    asset_id: str | None, playlist_id: str | None, schedule_id: str | None, *, allow_none: bool = False
) -> tuple[str, str | None]:
    given = {
        k: v for k, v in (("ASSET", asset_id), ("PLAYLIST", playlist_id), ("SCHEDULE", schedule_id)) if v
    }
    if len(given) > 1:
        raise SignsConfigError("Give only one of asset_id, playlist_id and schedule_id.")
    if not given:
        if allow_none:
            return "NONE", None
        raise SignsConfigError("No content: give asset_id, playlist_id or schedule_id.")
    ((kind, content_id),) = given.items()
    return kind, str(content_id)


def _check_known(what: str, wanted: list[str], known: Mapping[str, Any]) -> None:
    unknown = [w for w in wanted if w not in known]
    if unknown:
        known_list = sorted(known)
        shown = ", ".join(known_list[:50]) + (
            f" and {len(known_list) - 50} more" if len(known_list) > 50 else ""
        )
        raise UnknownScreensError(
            f"Unknown {what}(s): {', '.join(unknown)}. Known {what}s: {shown or 'none'}. "
            "Nothing was changed.",
            unknown=unknown,
            known=known_list,
        )


def _folder(path: Any) -> str:
    return "/" + str(path or "").strip("/")


def _playlist_differences(playlist: Mapping[str, Any], wanted: Sequence[PlaylistEntry]) -> list[str]:
    """Where ``playlist`` differs from ``wanted``, one phrase per position (empty when it matches)."""
    items = list(playlist.get("assets") or [])
    out = []
    for pos in range(max(len(items), len(wanted))):
        have = items[pos] if pos < len(items) else None
        want = wanted[pos] if pos < len(wanted) else None
        if have is None:
            out.append(f"position {pos}: {want.asset_id if want else None} is missing")
        elif want is None:
            out.append(f"position {pos}: {have.get('_id')} should not be there")
        elif have.get("_id") != want.asset_id:
            out.append(f"position {pos}: {have.get('_id')} instead of {want.asset_id}")
        elif not _same_seconds(have.get("duration"), want.duration):
            out.append(f"position {pos}: {have.get('duration')}s instead of {want.duration}s")
    return out


def _oldest(found: Iterable[Any]) -> Any:
    """The first created of ``found`` (by ``createdAt``; unknown times last), or ``None``."""
    dated = [(parse_api_time(item.get("createdAt")), n, item) for n, item in enumerate(found)]
    far_future = datetime.max.replace(tzinfo=timezone.utc)
    dated.sort(key=lambda entry: (entry[0] or far_future, entry[1]))
    return dated[0][2] if dated else None


def _in_folder(path: Any, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or one of its subfolders (whole path segments, not a prefix)."""
    inner, outer = _folder(path), _folder(folder)
    return outer == "/" or inner == outer or inner.startswith(outer + "/")


def _required(value: Any, *, field: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise SignsConfigError(f"{field}: must not be empty.")
    return text


def _str_list(values: Iterable[str] | str | None, *, field: str) -> list[str]:
    """A list of non-empty strings; a lone string is one item (not its characters)."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise SignsConfigError(f"{field}: {value!r} is not a non-empty string.")
        out.append(value.strip())
    return out


def _positions(positions: Iterable[int], *, size: int, field: str) -> list[int]:
    out = []
    for pos in positions:
        if not isinstance(pos, int) or not 0 <= pos < size:
            raise SignsConfigError(f"{field}: {pos!r} is not a position in the playlist (0..{size - 1}).")
        out.append(pos)
    if not out:
        raise SignsConfigError(f"{field}: give at least one position.")
    return out


def _with_provider_tag(tags: Iterable[str]) -> list[str]:
    return _merge_tags([PROVIDER_TAG], _str_list(tags, field="tags"))


def _merge_tags(first: Iterable[str] | None, second: Iterable[str]) -> list[str]:
    merged = list(first or [])
    merged.extend(tag for tag in second if tag not in merged)
    return merged


def _seconds_or_raw(value: Any) -> Any:
    """Leave the number check to :meth:`PlaylistEntry.coerce`, which names the bad item."""
    return value


def _same_seconds(a: Any, b: float | None) -> bool:
    return b is None or (a is not None and abs(float(a) - b) < 1e-6)


def _web_url(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(str(url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SignsConfigError(f"url: {url!r} is not a web address; use a full http(s):// URL.")
    return parts.geturl()


def _positive_int(value: Any, *, field: str) -> int:
    if not isinstance(value, int) or value <= 0:
        raise SignsConfigError(f"{field}: must be a positive number of bytes, got {value!r}.")
    return value


@dataclass
class _UploadFile:
    """A checked upload source: its name, size and a way to open it (again, for a retry)."""

    filename: str
    size: int
    open: Callable[[], IO[bytes]]

    @classmethod
    def inspect(cls, source: UploadSource, *, filename: str | None, max_bytes: int) -> _UploadFile:
        if isinstance(source, (bytes, bytearray, memoryview)):
            if not filename:
                raise SignsConfigError("filename: required when uploading bytes (e.g. 'menu.png').")
            data = bytes(source)
            upload = cls(filename, len(data), lambda: io.BytesIO(data))
        elif isinstance(source, str) and "://" in source and not source.startswith("file:///"):
            from airflow.sdk import ObjectStoragePath

            return cls.inspect(ObjectStoragePath(source), filename=filename, max_bytes=max_bytes)
        elif isinstance(source, (str, os.PathLike)):
            local = os.fspath(source)
            if local.startswith("file://"):
                local = local[len("file://") :]
            if not os.path.isfile(local):
                raise SignsConfigError(f"source: {local!r} does not exist or is not a file.")
            upload = cls(filename or os.path.basename(local), os.path.getsize(local), _opener(local))
        elif hasattr(source, "open") and hasattr(source, "stat"):  # ObjectStoragePath (s3://, gs://, file://)
            if not source.exists() or not source.is_file():
                raise SignsConfigError(f"source: {source} does not exist or is not a file.")
            stat = source.stat()
            size = int(getattr(stat, "st_size", None) or stat["size"])
            upload = cls(filename or source.name, size, lambda: source.open("rb"))
        else:
            raise SignsConfigError(
                f"source: {type(source).__name__} is not a path, an ObjectStoragePath or bytes."
            )
        suffix = PurePath(upload.filename).suffix.lower()
        if suffix not in SUPPORTED_FILE_TYPES:
            raise SignsConfigError(
                f"source: {upload.filename!r} is not a file type OptiSigns plays. Supported: "
                f"{', '.join(sorted(SUPPORTED_FILE_TYPES))}. For a web page use a website asset."
            )
        if upload.size == 0:
            raise SignsConfigError(f"source: {upload.filename!r} is empty.")
        if upload.size > max_bytes:
            raise SignsConfigError(
                f"source: {upload.filename!r} is {upload.size / 1024**2:.1f} MB, over the upload limit of "
                f"{max_bytes / 1024**2:.0f} MB. Make the file smaller, or raise the limit (connection extra "
                "'max_upload_mb', or max_upload_bytes) if your plan allows larger files."
            )
        return upload


def _opener(local: str) -> Callable[[], IO[bytes]]:
    """Open the file at each call: a retried upload reads it again from the start."""
    # The uploader closes the handle after each attempt.
    return lambda: open(local, "rb")
