"""Screens (``devices``): list, find by id/name/tag/folder, and what each shows and whether it is online."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.times import parse_api_time
from signs_provider.optisigns import DEFAULT_HEARTBEAT_MAX_AGE_SECONDS
from signs_provider.optisigns.client._inputs import CONTENT_ID_FIELD, required, str_list
from signs_provider.optisigns.client.graphql import Mutation, list_query
from signs_provider.optisigns.errors import OptiSignsNotFoundError, UnknownScreensError

if TYPE_CHECKING:
    from signs_provider.optisigns.client.graphql import GraphQLSession
    from signs_provider.optisigns.client.types import Screen, ScreenStatus

DEFAULT_HEARTBEAT_MAX_AGE = timedelta(seconds=DEFAULT_HEARTBEAT_MAX_AGE_SECONDS)
#: Up to this many screen ids and names, :meth:`Screens.find` reads each with one filtered query;
#: beyond, one listing of the team (a page per 500 screens: 10 pages at 5,000 screens) costs less.
DIRECT_LOOKUPS = 10

# Device ``status`` is a string (ONLINE/SLEEP/OFFLINE) for one client and a number in the SDK's types.
_OFFLINE_STATUSES = frozenset({"OFFLINE", "SLEEP", "DISCONNECTED"})

SCREEN_FIELDS = (
    "_id deviceName name tags path currentType currentAssetId currentPlaylistId currentScheduleId "
    "lastHeartBeat status orientation"
)
SCREENS_QUERY = list_query("devices", "QueryDeviceInput", SCREEN_FIELDS)
# Setting a screen's content to X twice leaves it showing X: safe to retry.
UPDATE_DEVICE = Mutation(
    "mutation UpdateDevice($id: String!, $payload: UpdateDeviceInput!, $teamId: String) {\n"
    f"  updateDevice(_id: $id, payload: $payload, teamId: $teamId) {{ {SCREEN_FIELDS} }}\n}}",
    "updateDevice",
    idempotent=True,
)


class Screens:
    """The team's screens."""

    def __init__(self, graphql: GraphQLSession) -> None:
        self.graphql = graphql

    def list(
        self, *, tags: Iterable[str] | None = None, path: str | None = None, name: str | None = None
    ) -> builtins.list[Screen]:
        """The team's screens, optionally filtered by the API on tags, folder path or exact name."""
        filters = {"tags": str_list(tags, field="tags") if tags else None, "path": path, "deviceName": name}
        return self.graphql.list(SCREENS_QUERY, filters)

    async def alist(self) -> builtins.list[Screen]:
        """All of the team's screens, without blocking the event loop (triggers)."""
        return await self.graphql.alist(SCREENS_QUERY, {})

    def get(self, screen_id: str) -> Screen:
        """One screen by id (OptiSigns has no single-item query: a filtered list)."""
        for screen in self.graphql.list(SCREENS_QUERY, {"_id": required(screen_id, field="screen_id")}):
            if screen.get("_id") == screen_id:
                return screen  # type: ignore[no-any-return]
        raise OptiSignsNotFoundError(f"OptiSigns has no screen with id {screen_id!r} in this team.")

    def find(
        self,
        *,
        ids: Iterable[str] = (),
        names: Iterable[str] = (),
        tags: Iterable[str] = (),
        path: str | None = None,
        tag_members: bool = True,
    ) -> builtins.list[Screen]:
        """Screens matching any of ``ids``, ``names`` (``deviceName``), ``tags`` or folder ``path``.

        A folder matches its own screens and those of its subfolders: ``/Lobby`` takes
        ``/Lobby`` and ``/Lobby/East``, never ``/Lobby2``.

        Every id, name and tag must match at least one screen, else :class:`UnknownScreensError`
        lists the unknown ones and the known ones (from one listing of the team's screens, read
        only then).

        What it costs does not grow with the team (issue 14), but for a folder:

        * a single id, name or tag: one call. Several: the first page of the team's screens (500)
          first; when that is the whole team, they are matched there (one call). Else, as follows.
        * up to :data:`DIRECT_LOOKUPS` ids and names: one filtered ``devices`` query each
          (``_id`` and ``deviceName`` filters, official evidence: sdk-05, sdk-04); more than that,
          one listing of the team (a page per 500 screens) costs less;
        * each tag: its screens through the API's tag filter (a page per 500 of them). With
          ``tag_members=False`` only that the tag has a screen is checked: one page of one screen.
          The tag filter rests on no public document (client/evidence.py): where the API refuses
          it, the team's screens are read until the first screen with the tag (at most a page per
          500 screens, plus the refused request, once per connection);
        * a folder: one listing of the team (the API's ``path`` filter is exact and weakly
          evidenced, a folder here includes its subfolders).
        """
        ids, names, tags = (
            str_list(ids, field="screen_ids"),
            str_list(names, field="screen_names"),
            str_list(tags, field="tags"),
        )
        if not (ids or names or tags or path):
            raise SignsConfigError("No screens given: pass screen ids, screen names, tags or a folder path.")
        lookups = len(set(ids)) + len(set(names))
        if path or lookups > DIRECT_LOOKUPS:
            return self._find_in_listing(ids, names, tags, path)
        if lookups + len(set(tags)) > 1:
            # Several look-ups: a team that fits in one page is matched from that page, one call.
            first, complete = self._first_page()
            if complete:
                return self._match(first, ids, names, tags, path)
        chosen: dict[str, Screen] = {}
        unknown_ids = []
        for screen_id in dict.fromkeys(ids):
            found = [s for s in self.list_where(_id=screen_id) if s.get("_id") == screen_id]
            if found:
                chosen[screen_id] = found[0]
            else:
                unknown_ids.append(screen_id)
        unknown_names = []
        for name in dict.fromkeys(names):
            # [INFERRED] the API's deviceName filter is an exact match (sdk-04 looks a screen up by it).
            found = [s for s in self.list_where(deviceName=name) if s.get("deviceName") == name]
            if not found:
                unknown_names.append(name)
            chosen.update((s["_id"], s) for s in found)
        if unknown_ids or unknown_names:
            # An id unknown (the error lists the known ones), or a name that may be a screen's
            # ``name`` rather than its ``deviceName``: the one listing decides, as before.
            return self._find_in_listing(ids, names, tags, path)
        for tag in dict.fromkeys(tags):
            members = self.tagged(tag, limit=None if tag_members else 1)
            if not members:
                return self._find_in_listing(ids, names, tags, path)  # the error names the known tags
            chosen.update((s["_id"], s) for s in members)
        return list(chosen.values())

    def list_where(self, **filters: Any) -> builtins.list[Screen]:
        """The screens one trusted filter (``_id``, ``deviceName``) selects: one call."""
        return self.graphql.list(SCREENS_QUERY, filters)

    def tagged(self, tag: str, *, limit: int | None = None) -> builtins.list[Screen]:
        """The screens carrying ``tag`` (at most ``limit`` of them), read through the API's tag filter.

        ``limit=1`` asks for one screen: one call of one screen where the API takes the filter.
        Where it refused the filter (weak evidence), the session drops it and the screens are
        matched here, page by page (500 screens each), stopping at ``limit`` matches.
        """
        document = SCREENS_QUERY.document
        query = {"tags": [tag]}
        refused_before = bool(self.graphql.dropped_filters(document, query))
        page_size = 1 if limit == 1 and not refused_before else 500
        found: builtins.list[Screen] = []
        pages = self.graphql.paginate(
            document, {"query": query}, connection_field=SCREENS_QUERY.field, page_size=page_size, repair=True
        )
        for node in pages:
            if tag in (node.get("tags") or []):
                found.append(node)  # type: ignore[arg-type]  # a devices node is a Screen
                if limit is not None and len(found) >= limit:
                    break
            elif page_size == 1 and self.graphql.dropped_filters(document, query):
                # The API refused the tag filter during this read: one screen a page would read
                # the whole team one by one. Read it in full pages instead, still stopping early.
                return self.tagged(tag, limit=limit)
        return found

    def _find_in_listing(
        self, ids: builtins.list[str], names: builtins.list[str], tags: builtins.list[str], path: str | None
    ) -> builtins.list[Screen]:
        """:meth:`find` from one listing of the team's screens, matched here."""
        return self._match(self.list(), ids, names, tags, path)

    def _first_page(self) -> tuple[builtins.list[Screen], bool]:
        """The first page of the team's screens (500), and whether it is all of them."""
        variables = {"query": {}, "first": 500, "after": None}
        data = self.graphql.execute(SCREENS_QUERY.document, variables, idempotent=True, repair=True)
        page = ((data or {}).get(SCREENS_QUERY.field) or {}).get("page") or {}
        nodes = [edge["node"] for edge in page.get("edges") or []]
        return nodes, not (page.get("pageInfo") or {}).get("hasNextPage")

    def _match(
        self,
        screens: builtins.list[Screen],
        ids: builtins.list[str],
        names: builtins.list[str],
        tags: builtins.list[str],
        path: str | None,
    ) -> builtins.list[Screen]:
        by_id = {s["_id"]: s for s in screens}
        by_name: dict[str, builtins.list[Screen]] = {}
        by_tag: dict[str, builtins.list[Screen]] = {}
        for screen in screens:
            for name in {screen.get("deviceName"), screen.get("name")} - {None}:
                by_name.setdefault(str(name), []).append(screen)
            for tag in screen.get("tags") or []:
                by_tag.setdefault(tag, []).append(screen)
        check_known("screen id", ids, by_id)
        check_known("screen name", names, by_name)
        check_known("screen tag", tags, by_tag)
        chosen: dict[str, Screen] = {}
        for screen_id in ids:
            chosen[screen_id] = by_id[screen_id]
        for group in [by_name[n] for n in names] + [by_tag[t] for t in tags]:
            chosen.update((s["_id"], s) for s in group)
        if path:
            in_folder = [s for s in screens if in_folder_of(s.get("path"), folder(path))]
            if not in_folder:
                known = sorted({folder(s.get("path")) for s in screens})
                raise UnknownScreensError(
                    f"No screen is in folder {path!r}. Folders with screens: {', '.join(known) or 'none'}.",
                    unknown=[str(path)],
                    known=known,
                )
            chosen.update((s["_id"], s) for s in in_folder)
        return list(chosen.values())

    def status(
        self,
        screens: Iterable[Screen] | None = None,
        *,
        now: datetime | None = None,
        max_heartbeat_age: timedelta = DEFAULT_HEARTBEAT_MAX_AGE,
    ) -> builtins.list[ScreenStatus]:
        """What each screen shows now and whether it is online (all the team's screens by default)."""
        listed = self.list() if screens is None else list(screens)
        return [screen_status(s, now=now, max_heartbeat_age=max_heartbeat_age) for s in listed]

    def set_content(self, screen_id: str, kind: str, content_id: str | None) -> Screen:
        """Set what one screen plays (its lasting setting); ``NONE`` blanks it."""
        payload: dict[str, Any] = {"currentType": kind}
        if content_id:
            # The docs put a playlist id in currentAssetId, clients that work use currentPlaylistId:
            # send the field matching the type (reference §2.2).
            payload[CONTENT_ID_FIELD[kind]] = content_id
        return self.graphql.send(UPDATE_DEVICE, {"id": screen_id, "payload": payload})  # type: ignore[no-any-return]


# -- pure helpers ------------------------------------------------------------------------------------


def check_known(what: str, wanted: builtins.list[str], known: Mapping[str, Any]) -> None:
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


def folder(path: Any) -> str:
    return "/" + str(path or "").strip("/")


def in_folder_of(path: Any, outer: str) -> bool:
    """Whether ``path`` is ``outer`` or one of its subfolders (whole path segments, not a prefix)."""
    inner, outer = folder(path), folder(outer)
    return outer == "/" or inner == outer or inner.startswith(outer + "/")


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


def split_online(
    screens: Iterable[Mapping[str, Any]], screen_ids: builtins.list[str], *, max_heartbeat_age: float
) -> dict[str, builtins.list[str]]:
    """``{"online": [...], "offline": [...], "missing": [...]}`` for ``screen_ids``."""
    by_id = {s.get("_id"): s for s in screens}
    age = timedelta(seconds=max_heartbeat_age)
    online = [i for i in screen_ids if i in by_id and screen_is_online(by_id[i], max_heartbeat_age=age)]
    missing = [i for i in screen_ids if i not in by_id]
    offline = [i for i in screen_ids if i in by_id and i not in online]
    return {"online": online, "offline": offline, "missing": missing}
