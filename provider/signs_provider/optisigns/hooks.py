"""Hook for the OptiSigns GraphQL API: the Airflow side (connection, masking, transports) over a client.

The API knowledge lives in :mod:`signs_provider.optisigns.client`, one module per area (screens,
assets, uploads, playlists, schedules, delivery, housekeeping); :attr:`OptiSignsHook.client`
reaches all of it. The hook keeps the methods operators, sensors and DAGs call, each a one-line
delegation, and the generic GraphQL escape hatch (:meth:`~OptiSignsHook.execute`).

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

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.hook import SignsHttpHook, register_secret
from signs_provider.common.recovery import MAX_LANDING_WAIT
from signs_provider.common.transport import RetryPolicy, require_secure_url
from signs_provider.optisigns import DEFAULT_CONN_ID
from signs_provider.optisigns.client import OptiSignsClient, assets, playlists, schedules, screens
from signs_provider.optisigns.client._inputs import PROVIDER_TAG, positive_int
from signs_provider.optisigns.client.assets import ASSET_FIELDS, asset_state, asset_summary
from signs_provider.optisigns.client.graphql import GraphQLSession, operation_type
from signs_provider.optisigns.client.playlists import PLAYLIST_FIELDS
from signs_provider.optisigns.client.schedules import (
    SCHEDULE_FIELDS,
    SCHEDULE_ITEM_FIELDS,
)
from signs_provider.optisigns.client.screens import (
    DEFAULT_HEARTBEAT_MAX_AGE,
    SCREEN_FIELDS,
    screen_content,
    screen_is_online,
    screen_status,
    split_online,
)
from signs_provider.optisigns.client.types import (
    AssetInfo,
    PlaylistEntry,
    PlaylistEntryLike,
    PlaylistInfo,
    PlaylistItem,
    PushMode,
    Screen,
    ScreenStatus,
    TagMode,
    UploadSource,
)
from signs_provider.optisigns.client.uploads import DEFAULT_MAX_UPLOAD_BYTES, SUPPORTED_FILE_TYPES
from signs_provider.optisigns.errors import OptiSignsApiErrors

# The names below stay importable from here (most now live in the client package).
# fmt: off
__all__ = [
    "ASSETS_QUERY", "ASSET_FIELDS", "DEFAULT_ENDPOINT", "DEFAULT_HEARTBEAT_MAX_AGE",
    "DEFAULT_MAX_UPLOAD_BYTES", "DEFAULT_UPLOAD_URL", "MAX_LANDING_WAIT", "PLAYLISTS_QUERY",
    "PLAYLIST_FIELDS", "PROVIDER_TAG", "SCHEDULES_QUERY", "SCHEDULE_FIELDS", "SCHEDULE_ITEMS_QUERY",
    "SCHEDULE_ITEM_FIELDS", "SCREENS_QUERY", "SCREEN_FIELDS", "SUPPORTED_FILE_TYPES", "AssetInfo",
    "OptiSignsHook", "PlaylistEntry", "PlaylistEntryLike", "PlaylistInfo", "PlaylistItem",
    "PushMode", "Screen", "ScreenStatus", "TagMode", "UploadSource", "asset_state", "asset_summary",
    "operation_type", "screen_content", "screen_is_online", "screen_status", "split_online",
    "urlpath",
]
# fmt: on

#: The list queries' documents, as text (each is an ``Operation`` in its area module).
SCREENS_QUERY, ASSETS_QUERY, PLAYLISTS_QUERY, SCHEDULES_QUERY, SCHEDULE_ITEMS_QUERY = (
    screens.SCREENS_QUERY.document,
    assets.ASSETS_QUERY.document,
    playlists.PLAYLISTS_QUERY.document,
    schedules.SCHEDULES_QUERY.document,
    schedules.SCHEDULE_ITEMS_QUERY.document,
)

DEFAULT_ENDPOINT = "https://graphql-gateway.optisigns.com/graphql"
DEFAULT_UPLOAD_URL = "https://api2.transloadit.com/assemblies"


class OptiSignsHook(SignsHttpHook):
    """Talk to OptiSigns through an Airflow connection of type ``optisigns``.

    The connection holds the API key in its password field; its host, if set, replaces the
    public endpoint (e.g. the local emulator); extra ``team_id`` is sent as ``teamId`` to
    every operation that declares a ``$teamId`` variable; extra ``timeout`` bounds each request;
    extra ``upload_url`` replaces the Transloadit endpoint; extra ``max_upload_mb`` lowers or
    raises the file size limit (1 GB by default, 25 MB on the free plan).

    :param optisigns_conn_id: the Airflow connection id.
    :param max_upload_bytes: the largest file :meth:`upload_file` accepts; overrides the connection.
    :param timeout: seconds per request; overrides the connection's ``timeout``.
    :param retry_policy: how reads and idempotent writes are retried.
    :param landing_wait: how long a write whose answer was lost may still take to show up
        before the hook decides; default twice the timeout, at most 60 s.
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
        timeout: float | None = None,
        retry_policy: RetryPolicy | None = None,
        landing_wait: float | None = None,
    ) -> None:
        super().__init__(
            conn_id=optisigns_conn_id, timeout=timeout, retry_policy=retry_policy, landing_wait=landing_wait
        )
        self.optisigns_conn_id = optisigns_conn_id
        self._max_upload_bytes = max_upload_bytes
        self._client: OptiSignsClient | None = None

    # -- connection ---------------------------------------------------------------------------

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
            return positive_int(self._max_upload_bytes, field="max_upload_bytes")
        megabytes = self.extra_field("max_upload_mb")
        if megabytes is None:
            return DEFAULT_MAX_UPLOAD_BYTES
        field = f"connection {self.conn_id!r} extra 'max_upload_mb'"
        try:
            value = float(megabytes)
        except (TypeError, ValueError):
            raise SignsConfigError(f"{field}: {megabytes!r} is not a number of megabytes, e.g. 25.") from None
        return positive_int(int(value * 1024 * 1024), field=field)

    def _auth_headers(self) -> dict[str, str]:
        # Keys pasted from the web app sometimes carry zero-width characters that break the header.
        key = "".join(ch for ch in self.connection.password or "" if ch.isprintable()).strip()
        if key and key != self.connection.password:
            # The masker knows the raw password; the header carries this cleaned form.
            register_secret(key)
        return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    @property
    def api_errors(self) -> OptiSignsApiErrors:
        """How OptiSigns reports failures (HTTP status, or GraphQL errors inside HTTP 200)."""
        return OptiSignsApiErrors(conn_id=self.conn_id, url=self.base_url)

    @property
    def client(self) -> OptiSignsClient:
        """The API, by area: ``hook.client.playlists.move_items(...)``, ``hook.client.screens.find(...)``."""
        if self._client is None:
            graphql = GraphQLSession(
                url=self.base_url,
                errors=self.api_errors,
                transport=lambda: self.transport,
                atransport=self.atransport,
                team_id=self.team_id,
                landing_wait=self.landing_wait,
                look_interval=max(0.2, min(2.0, self.timeout / 2)),
            )
            self._client = OptiSignsClient(
                graphql, upload_url=self.upload_url, max_upload_bytes=self.max_upload_bytes
            )
        return self._client

    # -- generic GraphQL ------------------------------------------------------------------------

    def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        """Run one GraphQL document of your own and return its ``data``.

        Queries are retried on network errors, 429 and 5xx. Mutations are sent once unless
        ``idempotent=True`` says that repeating them is harmless (setting a device's content is;
        adding playlist items is not). The hook's own operations declare this themselves.

        :raises OptiSignsGraphQLError: the response has an ``errors`` array (OptiSigns answers
            errors with HTTP 200).
        :raises OptiSignsScopeError: the API key lacks the scope for the operation.
        """
        kind = operation_type(query)
        if kind == "subscription":
            raise SignsConfigError("query: subscriptions need a websocket; use a query or a mutation.")
        return self.client.graphql.execute(
            query, variables, idempotent=kind == "query" if idempotent is None else idempotent
        )

    async def aexecute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a GraphQL *query* without blocking the event loop (for triggers, which only read)."""
        if operation_type(query) != "query":
            raise SignsConfigError("aexecute runs queries only: triggers must never change anything.")
        await self.aconnection()
        return await self.client.graphql.aexecute(query, variables)

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
        return self.client.graphql.paginate(
            query, variables, connection_field=connection_field, page_size=page_size
        )

    async def apaginate(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        connection_field: str,
        page_size: int = 500,
    ) -> list[dict[str, Any]]:
        """The async twin of :meth:`paginate` (queries only), returning all nodes."""
        if operation_type(query) != "query":
            raise SignsConfigError("apaginate runs queries only: triggers must never change anything.")
        await self.aconnection()
        return await self.client.graphql.apaginate(
            query, variables, connection_field=connection_field, page_size=page_size
        )

    def test_connection(self) -> tuple[bool, str]:
        """Check the key with a cheap read (``me``); used by the UI's Test button."""
        from signs_provider.optisigns.errors import OptiSignsGuessRefutedError

        try:
            try:
                # Query.me rests on a third party (pd-10-me): see client.evidence.WEAK_NAMES.
                me = self.client.graphql.execute("query { me { _id email } }", idempotent=True, repair=True)
                me = me["me"] or {}
            except OptiSignsGuessRefutedError:
                # The API has no `me`: any read with the key proves it works (devices: official).
                screens = self.client.screens.list()
                return True, f"Connected to OptiSigns at {self.base_url} ({len(screens)} screen(s) visible)."
        except Exception as exc:
            return False, str(exc)
        who = me.get("email") or me.get("_id") or "unknown user"
        return True, f"Connected to OptiSigns at {self.base_url} as {who}."

    # -- screens (client.screens) ------------------------------------------------------------------

    def list_screens(
        self, *, tags: Iterable[str] | None = None, path: str | None = None, name: str | None = None
    ) -> list[Screen]:
        """The team's screens, optionally filtered by the API on tags, folder path or exact name."""
        return self.client.screens.list(tags=tags, path=path, name=name)

    async def alist_screens(self) -> list[Screen]:
        """:meth:`list_screens` (all of the team's screens) without blocking the event loop."""
        await self.aconnection()
        return await self.client.screens.alist()

    def get_screen(self, screen_id: str) -> Screen:
        """One screen by id."""
        return self.client.screens.get(screen_id)

    def find_screens(
        self,
        *,
        ids: Iterable[str] = (),
        names: Iterable[str] = (),
        tags: Iterable[str] = (),
        path: str | None = None,
    ) -> list[Screen]:
        """Screens matching any of ``ids``, ``names``, ``tags`` or folder ``path`` (and its subfolders).

        Every id, name and tag must match a screen, else :class:`UnknownScreensError` lists the
        unknown ones and the known ones.
        """
        return self.client.screens.find(ids=ids, names=names, tags=tags, path=path)

    def screens_status(
        self,
        screens: Iterable[Screen] | None = None,
        *,
        now: datetime | None = None,
        max_heartbeat_age: timedelta = DEFAULT_HEARTBEAT_MAX_AGE,
    ) -> list[ScreenStatus]:
        """What each screen shows now and whether it is online (all the team's screens by default)."""
        return self.client.screens.status(screens, now=now, max_heartbeat_age=max_heartbeat_age)

    # -- assets (client.assets, client.uploads) -------------------------------------------------------

    def list_assets(
        self, *, name: str | None = None, tags: Iterable[str] | None = None, asset_type: str | None = None
    ) -> list[AssetInfo]:
        """The team's assets, optionally filtered by exact name (``originalFileName``), tags or type."""
        return self.client.assets.list(name=name, tags=tags, asset_type=asset_type)

    def get_asset(self, asset_id: str) -> AssetInfo:
        """One asset by id."""
        return self.client.assets.get(asset_id)

    async def aget_asset(self, asset_id: str) -> AssetInfo:
        """:meth:`get_asset` without blocking the event loop (for triggers)."""
        await self.aconnection()
        return await self.client.assets.aget(asset_id)

    def get_upload_options(self) -> tuple[str, str]:
        """Fresh signed Transloadit parameters: ``(params_json, signature)``."""
        return self.client.uploads.options()

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

        Streamed, and checked before the first request; the parameters are described at
        :meth:`Uploads.upload_file <signs_provider.optisigns.client.uploads.Uploads.upload_file>`.
        Wait for the asset with :meth:`wait_for_asset_ready`.
        """
        return self.client.uploads.upload_file(source, name=name, filename=filename, tags=tags, path=path)

    def wait_for_asset_ready(
        self, asset_id: str, *, timeout: float = 600, poll_interval: float = 5
    ) -> AssetInfo:
        """Poll until OptiSigns has converted the asset; return it (raises if it failed or took too long)."""
        return self.client.assets.wait_for_ready(asset_id, timeout=timeout, poll_interval=poll_interval)

    def upsert_website_asset(
        self, name: str, url: str, *, tags: Iterable[str] = (), path: str | None = None
    ) -> AssetInfo:
        """Create the website asset ``name`` showing ``url``, or update the one that exists (the oldest)."""
        return self.client.assets.upsert_website(name, url, tags=tags, path=path)

    def tag_assets(self, asset_ids: Iterable[str], tags: Iterable[str], *, mode: TagMode = "ADD") -> None:
        """Add (``ADD``), replace (``SET``) or remove all (``CLEAR``) tags of assets, in one call."""
        self.client.assets.tag(asset_ids, tags, mode=mode)

    def delete_assets(self, asset_ids: Iterable[str]) -> list[str]:
        """Delete assets in one call; return the ids deleted."""
        return self.client.assets.delete(asset_ids)

    # -- housekeeping (client.housekeeping) -------------------------------------------------------------

    def delete_unused_provider_assets(self, asset_ids: Iterable[str]) -> list[str]:
        """Delete those of ``asset_ids`` that the provider created and nothing uses any more.

        An asset is kept when it lacks :data:`PROVIDER_TAG`, is in a playlist or a schedule item,
        or is what a screen shows. Returns the ids deleted.
        """
        return self.client.housekeeping.delete_unused_provider_assets(asset_ids)

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
        return self.client.housekeeping.cleanup_assets(
            older_than=older_than, tags=tags, now=now, dry_run=dry_run, keep_in_use=keep_in_use
        )

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
        return self.client.housekeeping.sync_playlist(
            name, items, tags=tags, path=path, delete_replaced_assets=delete_replaced_assets
        )

    # -- playlists (client.playlists) --------------------------------------------------------------

    def list_playlists(
        self, *, name: str | None = None, tags: Iterable[str] | None = None
    ) -> list[PlaylistInfo]:
        """The team's playlists, optionally filtered by exact name or tags."""
        return self.client.playlists.list(name=name, tags=tags)

    def get_playlist(self, playlist_id: str) -> PlaylistInfo:
        """One playlist by id, with its ordered items."""
        return self.client.playlists.get(playlist_id)

    def find_playlist(self, name: str) -> PlaylistInfo | None:
        """The playlist called ``name`` (the oldest by ``createdAt``, if several are), or ``None``."""
        return self.client.playlists.find(name)

    def upsert_playlist(
        self, name: str, *, tags: Iterable[str] = (), path: str | None = None
    ) -> PlaylistInfo:
        """Create the playlist ``name``, or update the tags and folder of the one that exists."""
        return self.client.playlists.upsert(name, tags=tags, path=path)

    def set_playlist_items(self, playlist_id: str, items: Iterable[PlaylistEntryLike]) -> PlaylistInfo:
        """Make the playlist's items exactly ``items``, in order, with their durations.

        Only a minimal edit is sent, wherever the changes are: the items both lists share stay,
        the others are removed in one call and the new ones added where they belong (one call per
        run of new items, at most four). A re-run with the same items sends nothing. The playlist
        never holds more than the larger of its old and new lengths (one more when no item is
        kept, where one old item bridges) and is never empty on the way. A lost answer is settled
        by reading the playlist back, never by resending blindly. The result is read back and
        checked.

        :raises SignsApiError: the playlist still differs after three rounds (the message names
            the positions), e.g. when the API ignores a duration.
        """
        return self.client.playlists.set_items(playlist_id, items)

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
        return self.client.playlists.add_items(playlist_id, asset_ids, position=position, duration=duration)

    def remove_playlist_items(self, playlist_id: str, positions: Iterable[int]) -> PlaylistInfo:
        """Remove the items at these 0-based positions (find them with :meth:`get_playlist`)."""
        return self.client.playlists.remove_items(playlist_id, positions)

    def move_playlist_items(self, playlist_id: str, positions: Iterable[int], to: int) -> PlaylistInfo:
        """Move the items at ``positions`` so that they start at index ``to`` of the result."""
        return self.client.playlists.move_items(playlist_id, positions, to)

    def delete_playlists(self, playlist_ids: Iterable[str]) -> list[str]:
        """Delete playlists in one call; return the ids deleted."""
        return self.client.playlists.delete(playlist_ids)

    # -- delivery (client.delivery) ---------------------------------------------------------------

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
        checked before any screen is changed: one filtered query per id (up to ten), whatever the
        team's size.

        :raises UnknownScreensError: an id is not one of the team's screens; nothing was changed.
        """
        return self.client.delivery.assign(  # type: ignore[no-any-return]
            screen_ids=screen_ids, asset_id=asset_id, playlist_id=playlist_id, schedule_id=schedule_id
        )["screens"]

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
        """Push content to screens with one ``pushToScreens`` call, whatever their number.

        Ids, names and tags are checked before anything is sent, at a cost that does not grow with
        the team (one call per id, name or tag; a tag only needs one of its screens);
        the parameters are described at :meth:`Delivery.push <signs_provider.optisigns.client.delivery.Delivery.push>`.
        """
        return self.client.delivery.push(
            asset_id=asset_id,
            playlist_id=playlist_id,
            schedule_id=schedule_id,
            screen_ids=screen_ids,
            screen_names=screen_names,
            tags=tags,
            tag_rules=tag_rules,
            mode=mode,
            start_at=start_at,
            expire_at=expire_at,
            local_timezone=local_timezone,
            takeover_minutes=takeover_minutes,
            force=force,
        )

    # -- schedules (client.schedules) -------------------------------------------------------------

    def list_schedules(self, *, name: str | None = None) -> list[dict[str, Any]]:
        """The team's schedules, optionally filtered by exact name."""
        return self.client.schedules.list(name=name)

    def upsert_schedule(
        self, name: str, *, tags: Iterable[str] = (), path: str | None = None
    ) -> dict[str, Any]:
        """Create the schedule ``name``, or return the one that exists (tags merged; the oldest if several)."""
        return self.client.schedules.upsert(name, tags=tags, path=path)

    def list_schedule_items(self, schedule_id: str) -> list[dict[str, Any]]:
        """The items of a schedule."""
        return self.client.schedules.list_items(schedule_id)

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

        Times are the screens' wall-clock time; see
        :meth:`Schedules.add_item <signs_provider.optisigns.client.schedules.Schedules.add_item>`.
        """
        return self.client.schedules.add_item(
            schedule_id,
            start=start,
            end=end,
            asset_id=asset_id,
            playlist_id=playlist_id,
            rrule=rrule,
            repeat=repeat,
            name=name,
            force=force,
            local_timezone=local_timezone,
        )

    def remove_schedule_item(self, item_id: str) -> None:
        """Remove a schedule item (every occurrence)."""
        self.client.schedules.remove_item(item_id)


def urlpath(url: str) -> str:
    """The path of ``url`` without slashes at either end (empty for a bare origin)."""
    from urllib.parse import urlsplit

    return urlsplit(url).path.strip("/")
