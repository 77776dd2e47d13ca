"""The names the provider sends to OptiSigns without trusted evidence: the one table (issue 10).

No machine here reaches OptiSigns; what the provider may send rests on public documents that were sent to
the real API (the corpus in ``shared/evidence/optisigns-graphql/``, read only by the tests). Each name has a
trust level: ``official`` (OptiSigns' SDK, cookbook, support articles), ``demo`` (OptiSigns' demo app),
``live3p`` (a third party that ran it against a live account) are *trusted*; ``official-draft``
(commented-out OptiSigns code), ``3p`` (other third parties) and ``none`` are not.

Every name the provider's documents use is listed with its evidence in :data:`EVIDENCE` (trust, corpus
document id); ``tests/evidence/test_optisigns_documents.py`` captures every request the hook sends by
driving each public method against the emulator and checks that each name there is in :data:`EVIDENCE`
with the trust the emulator's annotated schema gives it, and that every name a pessimistic emulator
refuses is in :data:`WEAK_NAMES`.

:data:`WEAK_NAMES` is the deliberate part: each name used without trusted evidence, why a feature needs it,
and what happens when the API refuses it. A request the API refuses in validation was not executed, so
the GraphQL session (:mod:`~signs_provider.optisigns.client.graphql`) repairs it and sends it again when the
refuted name is optional (logging a warning that names it, and remembering it for the connection's life);
when the name is essential it raises
:class:`~signs_provider.optisigns.errors.OptiSignsGuessRefutedError` with the advice below.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The fallback of a name without which the feature cannot work: the error says what to do.
ESSENTIAL = "essential: the call fails with OptiSignsGuessRefutedError"
#: Optional names: dropped from the request, which is sent again once.
DROPPED = "dropped from the request"
CLIENT_FILTER = "dropped from the filter, which the provider then applies to the list it reads"
ONE_PAGE = "the list is read in one call, without pagination (as much as the API returns at once)"
TEAM_DROPPED = "dropped"

UNLISTED_ADVICE = (
    "The provider believed this name evidenced: please report it with this message "
    "(https://github.com/ — the provider's issue tracker)."
)


@dataclass(frozen=True)
class WeakName:
    """One name used without trusted evidence.

    :ivar trust: the best evidence (``official-draft``, ``3p`` or ``none``).
    :ivar doc: the corpus document id of that evidence, if any.
    :ivar why: what the provider needs it for.
    :ivar fallback: what happens when the API refuses it (one of the constants above).
    :ivar advice: for an essential name, what the user can do instead.
    """

    trust: str
    doc: str | None
    why: str
    fallback: str
    advice: str = ""


def _paged(field: str) -> dict[str, WeakName]:
    why = f"reads {field} page by page, so that a long list is never cut at the API's default page size"
    page = field[0].upper() + field[1:-1] if field != "scheduleItems" else "ScheduleItem"
    return {
        f"Query.{field}(first)": WeakName("none", None, why, ONE_PAGE),
        f"Query.{field}(after)": WeakName("none", None, why, ONE_PAGE),
        f"{page}Page.pageInfo": WeakName("none", None, why, ONE_PAGE),
    }


def _filter(input_type: str, key: str, why: str) -> dict[str, WeakName]:
    return {f"{input_type}.{key}": WeakName("none", None, why, CLIENT_FILTER)}


_PUSH_ADVICE = (
    "pushToScreens rests on an unshipped draft of OptiSigns' SDK (sdkdraft-03). Set the screens' content "
    "directly instead: hook.assign_content(screen_ids, asset_id=/playlist_id=/schedule_id=) "
    "(OptiSignsAssignContentOperator), which uses the documented updateDevice."
)

#: Every name used without trusted evidence. Keys are written as ``signs-emulator --weak-names`` writes them.
WEAK_NAMES: dict[str, WeakName] = {
    # -- pagination: only devices has a documented example (pd/official cookbook) -------------------
    **_paged("assets"),
    **_paged("playlists"),
    **_paged("schedules"),
    **_paged("scheduleItems"),
    # -- filters: the trusted documents filter assets by originalFileName, devices by _id and deviceName
    **_filter("QueryDeviceInput", "tags", "list_screens(tags=) and pushes by tag"),
    **_filter("QueryDeviceInput", "path", "list_screens(path=)"),
    **_filter("QueryAssetInput", "_id", "get_asset / wait_for_asset read one asset"),
    **_filter("QueryAssetInput", "name", "find an asset by name (upserts, idempotency)"),
    **_filter("QueryAssetInput", "type", "list_assets(type=)"),
    **_filter("QueryAssetInput", "tags", "list_assets(tags=), clean-up of the provider's assets"),
    **_filter("QueryAssetInput", "path", "list_assets(path=)"),
    **_filter("QueryPlaylistInput", "name", "find a playlist by name (upserts)"),
    **_filter("QueryPlaylistInput", "tags", "list_playlists(tags=)"),
    **_filter("QueryPlaylistInput", "path", "list_playlists(path=)"),
    **_filter("QueryScheduleInput", "_id", "read one schedule"),
    **_filter("QueryScheduleInput", "name", "find a schedule by name (upserts)"),
    **_filter("QueryScheduleItemsInput", "_id", "read one schedule item"),
    # -- team: sent only when the connection sets extra team_id ----------------------------------------
    # Where the API takes no teamId, a key acts in its own team only: the argument is dropped with a
    # warning that the connection's team_id is not applied there (the key must belong to that team).
    **{
        f"{root}.{field}(teamId)": WeakName(
            trust, doc, "act in the team the connection names (extra team_id)", TEAM_DROPPED
        )
        for root, field, trust, doc in (
            ("Query", "devices", "3p", "pd-09-devices"),
            ("Query", "assets", "3p", "pd-07-assets"),
            ("Query", "playlists", "3p", "pd-11-playlists"),
            ("Query", "schedules", "none", None),
            ("Query", "scheduleItems", "none", None),
            ("Query", "getFileUploadOptions", "none", None),
            ("Mutation", "updateObjectTags", "none", None),
            ("Mutation", "movePlaylistItems", "none", None),
            ("Mutation", "updateScheduleItem", "none", None),
            ("Mutation", "removeScheduleItem", "none", None),
            ("Mutation", "pushToScreens", "official-draft", "sdkdraft-03-pushToScreens"),
        )
    },
    # -- the provider's tag and folders on what it creates ----------------------------------------------
    "PlaylistInput.tags": WeakName(
        "none",
        None,
        "marks playlists the provider made (clean-up deletes only those); user tags",
        DROPPED + ": the playlist is saved untagged, so clean-up never deletes it",
    ),
    "ScheduleInput.tags": WeakName(
        "none",
        None,
        "marks schedules the provider made; user tags",
        DROPPED + ": the schedule is saved untagged, so clean-up never deletes it",
    ),
    "PlaylistInput.path": WeakName("none", None, "upsert_playlist(path=): the folder", DROPPED),
    "ScheduleInput.path": WeakName("none", None, "upsert_schedule(path=): the folder", DROPPED),
    "AddScheduleItemInput.name": WeakName("none", None, "add_schedule_item(name=): a label", DROPPED),
    "AddScheduleItemInput.assetId": WeakName(
        "none",
        None,
        "add_schedule_item(kind='ASSET'): a schedule item that shows one asset",
        ESSENTIAL,
        "No public document adds an asset to a schedule. Put the asset in a playlist "
        "(hook.upsert_playlist, hook.add_playlist_items) and schedule the playlist (kind='PLAYLIST').",
    ),
    # -- the connection test ----------------------------------------------------------------------------
    "Query.me": WeakName(
        "3p",
        "pd-10-me",
        "test_connection names the user the key belongs to",
        ESSENTIAL,
        "test_connection catches it and reads the screens instead (proves the key works, names no user).",
    ),
    "User._id": WeakName("3p", "pd-10-me", "test_connection", ESSENTIAL, "See Query.me."),
    "User.email": WeakName("3p", "pd-10-me", "test_connection", ESSENTIAL, "See Query.me."),
    # -- blanking a screen ------------------------------------------------------------------------------
    "MEDIA_TYPES.NONE": WeakName(
        "3p",
        "pd-04-updateDevice",
        "assign_content with no content (blank the screen)",
        ESSENTIAL,
        "Blanking a screen rests on a third party's updateDevice(currentType: NONE). Assign other "
        "content instead (e.g. a blank image asset).",
    ),
    # -- pushing: the draft SDK's pushToScreens (every part of it rests on that draft or less) ----------
    **{
        name: WeakName(trust, doc, "push / schedule_push / takeover", ESSENTIAL, _PUSH_ADVICE)
        for name, trust, doc in (
            ("Mutation.pushToScreens", "official-draft", "sdkdraft-03-pushToScreens"),
            ("Mutation.pushToScreens(payload)", "official-draft", "sdkdraft-03-pushToScreens"),
            ("Mutation.pushToScreens(force)", "official-draft", "sdkdraft-03-pushToScreens"),
            ("PushToScreensInput.deviceIds", "official-draft", "sdkdraft-03-pushToScreens"),
            ("PushToScreensInput.type", "official-draft", "sdkdraft-03-pushToScreens"),
            ("PushToScreensInput.currentType", "none", None),
            ("PushToScreensInput.currentAssetId", "official-draft", "sdkdraft-03-pushToScreens"),
            ("PushToScreensInput.currentPlaylistId", "3p", "pd-05-pushToScreens"),
            ("PushToScreensInput.currentScheduleId", "none", None),
            ("PushToScreensInput.tags", "none", None),
            ("PushToScreensInput.scheduleData", "official-draft", "sdkdraft-03-pushToScreens"),
            ("PushToScreensInput.temporarilyFlashData", "official-draft", "sdkdraft-03-pushToScreens"),
            ("ScheduleDataInput.scheduleTime", "official-draft", "sdkdraft-03-pushToScreens"),
            ("ScheduleDataInput.localTimezone", "official-draft", "sdkdraft-03-pushToScreens"),
            ("ScheduleDataInput.expireScheduleTime", "none", None),
            ("ScheduleDataInput.isCheckExpireTime", "none", None),
            ("TemporarilyFlashDataInput.scheduleTimeMinutes", "official-draft", "sdkdraft-03-pushToScreens"),
            ("PUSH_TYPES.NOW", "official-draft", "sdkdraft-03-pushToScreens"),
            ("PUSH_TYPES.SCHEDULE", "official-draft", "sdkdraft-03-pushToScreens"),
            ("PUSH_TYPES.TEMPORARILY", "official-draft", "sdkdraft-03-pushToScreens"),
        )
    },
}
