"""The names the provider sends to OptiSigns without trusted evidence: the one table (issue 10).

No machine here reaches OptiSigns; what the provider may send rests on public documents that were sent to
the real API (the corpus in ``shared/evidence/optisigns-graphql/``, read only by the tests). Each name has a
trust level: ``official`` (OptiSigns' SDK, cookbook, support articles), ``demo`` (OptiSigns' demo app),
``live3p`` (a third party that ran it against a live account) are *trusted*; ``official-draft``
(commented-out OptiSigns code), ``3p`` (other third parties) and ``none`` are not.

Every name the provider's documents use is listed with its evidence (trust, corpus document id): in
:data:`TRUSTED_NAMES` when a trusted document uses it, in :data:`WEAK_NAMES` otherwise.
``tests/evidence/test_optisigns_documents.py`` captures every request the hook sends by driving each public
method against the emulator and checks that each name there is in one of the two, with the trust the
emulator's annotated schema gives it, and that every name a pessimistic emulator refuses is in
:data:`WEAK_NAMES`.

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
    "The provider believed this name evidenced, so nothing replaces it: please report this message to "
    "the provider's maintainers (it is what the real API accepts that matters)."
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
    "QueryDeviceInput.tags": WeakName(
        "none",
        None,
        "list_screens(tags=), assign_content by tag, and the check that a tag has a screen before a push "
        "by tag (one screen read)",
        CLIENT_FILTER + " (the check of a push then reads the screens up to the first tagged one: at "
        "most a page per 500 screens, 14 calls at 5,000 screens on a new connection, against 1)",
    ),
    **_filter("QueryDeviceInput", "path", "list_screens(path=)"),
    **_filter("QueryAssetInput", "_id", "get_asset / wait_for_asset read one asset"),
    **_filter("QueryAssetInput", "type", "list_assets(type=)"),
    **_filter("QueryAssetInput", "tags", "list_assets(tags=), clean-up of the provider's assets"),
    **_filter("QueryPlaylistInput", "name", "find a playlist by name (upserts)"),
    **_filter("QueryPlaylistInput", "tags", "list_playlists(tags=)"),
    **_filter("QueryScheduleInput", "name", "find a schedule by name (upserts)"),
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
    "ScheduleInput._id": WeakName(
        "none",
        None,
        "upsert_schedule: change the tags or folder of an existing schedule (saveSchedule with its _id)",
        ESSENTIAL,
        "No public document updates a schedule. Change its tags or folder in the OptiSigns app, or "
        "upsert it without tags/path.",
    ),
    "OBJECT_TYPES.SCHEDULE": WeakName(
        "none",
        None,
        "deleteObjects of a schedule: upsert_schedule deletes the duplicate a concurrent caller made",
        ESSENTIAL,
        "No public document deletes a schedule through the API: delete the duplicate schedule named in "
        "this task's log in the OptiSigns app.",
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


#: Every name with trusted evidence the provider's documents use: ``name -> (trust, corpus document id)``
#: (the best public document that sent it to the real API). Generated from the emulator's annotated schema;
#: ``tests/evidence/test_optisigns_documents.py`` fails when a name the hook sends is missing here (or from
#: :data:`WEAK_NAMES`) or when an entry disagrees with the schema's annotation.
TRUSTED_NAMES: dict[str, tuple[str, str]] = {
    "AddPlaylistItemsInput.ids": ("official", "doc-10-addPlaylistItems"),
    "AddPlaylistItemsInput.pos": ("official", "doc-10-addPlaylistItems"),
    "AddPlaylistItemsInput.type": ("official", "sdk-10-addPlaylistItems"),
    "AddScheduleItemInput.playlistId": ("live3p", "live-15-addScheduleItem"),
    "AddScheduleItemInput.range": ("live3p", "live-15-addScheduleItem"),
    "AddScheduleItemInput.repeatObject": ("live3p", "live-15-addScheduleItem"),
    "AddScheduleItemInput.scheduleId": ("live3p", "live-15-addScheduleItem"),
    "AddScheduleItemInput.type": ("live3p", "live-15-addScheduleItem"),
    "Asset._id": ("official", "cook-01-saveAsset"),
    "Asset.createdAt": ("official", "cook-01-saveAsset"),
    "Asset.fileSize": ("official", "sdk-01-saveAsset"),
    "Asset.fileType": ("official", "doc-02-assets"),
    "Asset.lastUpdatedDate": ("official", "cook-01-saveAsset"),
    "Asset.name": ("official", "doc-02-assets"),
    "Asset.originalFileName": ("official", "cook-01-saveAsset"),
    "Asset.path": ("official", "cook-01-saveAsset"),
    "Asset.processId": ("official", "sdk-01-saveAsset"),
    "Asset.status": ("official", "cook-01-saveAsset"),
    "Asset.tags": ("official", "sdk-01-saveAsset"),
    "Asset.type": ("official", "cook-01-saveAsset"),
    "Asset.webLink": ("official", "doc-16-saveAsset"),
    "Asset.webType": ("official", "doc-16-saveAsset"),
    "AssetConnection.page": ("official", "doc-02-assets"),
    "AssetEdge.node": ("official", "doc-02-assets"),
    "AssetInput.fileType": ("official", "cook-01-saveAsset"),
    "AssetInput.originalFileName": ("official", "cook-01-saveAsset"),
    "AssetInput.path": ("official", "cook-01-saveAsset"),
    "AssetInput.processId": ("official", "cook-01-saveAsset"),
    "AssetInput.status": ("official", "cook-01-saveAsset"),
    "AssetInput.subType": ("official", "cook-01-saveAsset"),
    "AssetInput.tags": ("official", "sdk-01-saveAsset"),
    "AssetInput.type": ("official", "cook-01-saveAsset"),
    "AssetInput.webLink": ("official", "cook-01-saveAsset"),
    "AssetInput.webType": ("official", "cook-01-saveAsset"),
    "AssetPage.edges": ("official", "doc-02-assets"),
    "DateRange.endDate": ("official", "doc-14-addScheduleItem"),
    "DateRange.startDate": ("official", "doc-14-addScheduleItem"),
    "DateRangeInput.endDate": ("live3p", "live-15-addScheduleItem"),
    "DateRangeInput.startDate": ("live3p", "live-15-addScheduleItem"),
    "DeleteObjectInput.ids": ("official", "sdk-13-deleteObjects"),
    "DeleteObjectInput.type": ("official", "sdk-13-deleteObjects"),
    "Device._id": ("official", "cook-02-devices"),
    "Device.currentAssetId": ("official", "cook-02-devices"),
    "Device.currentPlaylistId": ("official", "cook-02-devices"),
    "Device.currentScheduleId": ("official", "cook-02-devices"),
    "Device.currentType": ("official", "cook-02-devices"),
    "Device.deviceName": ("official", "cook-02-devices"),
    "Device.lastHeartBeat": ("official", "cook-02-devices"),
    "Device.name": ("official", "cook-02-devices"),
    "Device.orientation": ("official", "cook-02-devices"),
    "Device.path": ("official", "cook-02-devices"),
    # Read only to settle a scheduled push or takeover whose answer was lost (delivery.PUSHES_QUERY).
    "Device.scheduleGoLive": ("official", "sdk-03-devices"),
    "Device.status": ("official", "cook-02-devices"),
    "Device.tags": ("official", "cook-02-devices"),
    "Device.temporarily": ("official", "sdk-03-devices"),
    "DeviceConnection.page": ("official", "cook-02-devices"),
    "DeviceEdge.node": ("official", "cook-02-devices"),
    "DevicePage.edges": ("official", "cook-02-devices"),
    "DevicePage.pageInfo": ("official", "doc-06-devices"),
    "MEDIA_TYPES.ASSET": ("official", "doc-04-updateDevice"),
    "MEDIA_TYPES.PLAYLIST": ("official", "doc-05-updateDevice"),
    "MEDIA_TYPES.SCHEDULE": ("live3p", "live-17-updateDevice"),
    "MovePlaylistItemsInput.froms": ("live3p", "live-21-movePlaylistItems"),
    "MovePlaylistItemsInput.to": ("live3p", "live-21-movePlaylistItems"),
    "Mutation.addPlaylistItems": ("official", "doc-10-addPlaylistItems"),
    "Mutation.addPlaylistItems(_id)": ("official", "doc-10-addPlaylistItems"),
    "Mutation.addPlaylistItems(payload)": ("official", "doc-10-addPlaylistItems"),
    "Mutation.addPlaylistItems(teamId)": ("official", "sdk-10-addPlaylistItems"),
    "Mutation.addScheduleItem": ("official", "doc-14-addScheduleItem"),
    "Mutation.addScheduleItem(force)": ("official", "doc-14-addScheduleItem"),
    "Mutation.addScheduleItem(payload)": ("official", "doc-14-addScheduleItem"),
    "Mutation.addScheduleItem(teamId)": ("official", "doc-14-addScheduleItem"),
    "Mutation.deleteObjects": ("official", "sdk-13-deleteObjects"),
    "Mutation.deleteObjects(payload)": ("official", "sdk-13-deleteObjects"),
    "Mutation.deleteObjects(teamId)": ("official", "sdk-13-deleteObjects"),
    "Mutation.movePlaylistItems": ("live3p", "live-21-movePlaylistItems"),
    "Mutation.movePlaylistItems(_id)": ("live3p", "live-21-movePlaylistItems"),
    "Mutation.movePlaylistItems(payload)": ("live3p", "live-21-movePlaylistItems"),
    "Mutation.removePlaylistItems": ("official", "doc-12-removePlaylistItems"),
    "Mutation.removePlaylistItems(_id)": ("official", "doc-12-removePlaylistItems"),
    "Mutation.removePlaylistItems(payload)": ("official", "doc-12-removePlaylistItems"),
    "Mutation.removePlaylistItems(teamId)": ("official", "sdk-11-removePlaylistItems"),
    "Mutation.removeScheduleItem": ("live3p", "live-14-removeScheduleItem"),
    "Mutation.removeScheduleItem(payload)": ("live3p", "live-14-removeScheduleItem"),
    "Mutation.removeScheduleItem(scope)": ("live3p", "live-14-removeScheduleItem"),
    "Mutation.saveAsset": ("official", "cook-01-saveAsset"),
    "Mutation.saveAsset(payload)": ("official", "cook-01-saveAsset"),
    "Mutation.saveAsset(teamId)": ("official", "cook-01-saveAsset"),
    "Mutation.savePlaylist": ("official", "doc-09-savePlaylist"),
    "Mutation.savePlaylist(payload)": ("official", "doc-09-savePlaylist"),
    "Mutation.savePlaylist(teamId)": ("official", "sdk-09-savePlaylist"),
    "Mutation.saveSchedule": ("official", "doc-13-saveSchedule"),
    "Mutation.saveSchedule(payload)": ("official", "doc-13-saveSchedule"),
    "Mutation.saveSchedule(teamId)": ("official", "doc-13-saveSchedule"),
    "Mutation.updateDevice": ("official", "doc-04-updateDevice"),
    "Mutation.updateDevice(_id)": ("official", "doc-04-updateDevice"),
    "Mutation.updateDevice(payload)": ("official", "doc-04-updateDevice"),
    "Mutation.updateDevice(teamId)": ("official", "doc-08-updateDevice"),
    "Mutation.updateObjectTags": ("live3p", "live-12-updateObjectTags"),
    "Mutation.updateObjectTags(payload)": ("live3p", "live-12-updateObjectTags"),
    "Mutation.updatePlaylistItems": ("official", "doc-11-updatePlaylistItems"),
    "Mutation.updatePlaylistItems(_id)": ("official", "doc-11-updatePlaylistItems"),
    "Mutation.updatePlaylistItems(payload)": ("official", "doc-11-updatePlaylistItems"),
    "Mutation.updatePlaylistItems(teamId)": ("official", "sdk-12-updatePlaylistItems"),
    "OBJECT_TYPES.ASSET": ("official", "sdk-10-addPlaylistItems"),
    "OBJECT_TYPES.PLAYLIST": ("official", "sdk-13-deleteObjects"),
    "PageInfo.endCursor": ("official", "doc-06-devices"),
    "PageInfo.hasNextPage": ("official", "doc-06-devices"),
    "Playlist._id": ("official", "doc-09-savePlaylist"),
    "Playlist.assets": ("official", "doc-09-savePlaylist"),
    "Playlist.createdAt": ("official", "sdk-09-savePlaylist"),
    "Playlist.name": ("official", "doc-09-savePlaylist"),
    "Playlist.path": ("official", "doc-09-savePlaylist"),
    "Playlist.tags": ("official", "doc-09-savePlaylist"),
    "Playlist.totalDuration": ("official", "sdk-09-savePlaylist"),
    "PlaylistConnection.page": ("live3p", "live-04-playlists"),
    "PlaylistEdge.node": ("live3p", "live-04-playlists"),
    "PlaylistInput.name": ("official", "doc-09-savePlaylist"),
    "PlaylistItem._id": ("official", "doc-09-savePlaylist"),
    "PlaylistItem.duration": ("official", "doc-09-savePlaylist"),
    "PlaylistItem.fileType": ("official", "doc-09-savePlaylist"),
    "PlaylistItem.filename": ("official", "doc-09-savePlaylist"),
    "PlaylistItem.type": ("official", "sdk-09-savePlaylist"),
    "PlaylistItemInput.duration": ("official", "doc-11-updatePlaylistItems"),
    "PlaylistPage.edges": ("live3p", "live-04-playlists"),
    "Query.assets": ("official", "doc-02-assets"),
    "Query.assets(query)": ("official", "doc-02-assets"),
    "Query.devices": ("official", "cook-02-devices"),
    "Query.devices(after)": ("official", "doc-06-devices"),
    "Query.devices(first)": ("official", "doc-06-devices"),
    "Query.devices(query)": ("official", "cook-02-devices"),
    "Query.getFileUploadOptions": ("official", "cook-03-getFileUploadOptions"),
    "Query.playlists": ("live3p", "live-04-playlists"),
    "Query.playlists(query)": ("live3p", "live-04-playlists"),
    "Query.scheduleItems": ("live3p", "live-03-scheduleItems"),
    "Query.scheduleItems(query)": ("live3p", "live-03-scheduleItems"),
    "Query.schedules": ("live3p", "live-01-schedules"),
    "Query.schedules(query)": ("live3p", "live-01-schedules"),
    "QueryAssetInput.originalFileName": ("official", "doc-02-assets"),
    "QueryDeviceInput._id": ("official", "sdk-05-devices"),
    "QueryDeviceInput.deviceName": ("official", "sdk-04-devices"),
    "QueryPlaylistInput._id": ("live3p", "live-04-playlists"),
    "QueryScheduleItemsInput.scheduleId": ("live3p", "live-03-scheduleItems"),
    "RemovePlaylistItemsInput.pos": ("official", "doc-12-removePlaylistItems"),
    "RemoveScheduleItemInput._id": ("live3p", "live-14-removeScheduleItem"),
    "RepeatObject.repeat": ("official", "doc-14-addScheduleItem"),
    "RepeatObject.rrule": ("official", "doc-14-addScheduleItem"),
    "RepeatObjectInput.repeat": ("live3p", "live-15-addScheduleItem"),
    "RepeatObjectInput.rrule": ("live3p", "live-15-addScheduleItem"),
    "Schedule._id": ("official", "doc-13-saveSchedule"),
    "Schedule.createdAt": ("official", "doc-13-saveSchedule"),
    "Schedule.name": ("official", "doc-13-saveSchedule"),
    "Schedule.path": ("official", "doc-13-saveSchedule"),
    "Schedule.tags": ("official", "doc-13-saveSchedule"),
    "ScheduleConnection.page": ("live3p", "live-01-schedules"),
    "ScheduleEdge.node": ("live3p", "live-01-schedules"),
    "ScheduleInput.name": ("live3p", "live-02-saveSchedule"),
    "ScheduleItem._id": ("official", "doc-14-addScheduleItem"),
    "ScheduleItem.assetId": ("official", "doc-14-addScheduleItem"),
    "ScheduleItem.name": ("official", "doc-14-addScheduleItem"),
    "ScheduleItem.playlistId": ("official", "doc-14-addScheduleItem"),
    "ScheduleItem.range": ("official", "doc-14-addScheduleItem"),
    "ScheduleItem.repeatObject": ("official", "doc-14-addScheduleItem"),
    "ScheduleItem.type": ("live3p", "live-03-scheduleItems"),
    "ScheduleItemConnection.page": ("live3p", "live-03-scheduleItems"),
    "ScheduleItemEdge.node": ("live3p", "live-03-scheduleItems"),
    "ScheduleItemPage.edges": ("live3p", "live-03-scheduleItems"),
    "SchedulePage.edges": ("live3p", "live-01-schedules"),
    "TAGS_MUTATION_TYPES.ADD": ("live3p", "live-12-updateObjectTags"),
    "UpdateDeviceInput.currentPlaylistId": ("live3p", "live-17-updateDevice"),
    "UpdateDeviceInput.currentType": ("official", "doc-04-updateDevice"),
    "UpdateObjectTagsInput.ids": ("live3p", "live-12-updateObjectTags"),
    "UpdateObjectTagsInput.mutation": ("live3p", "live-12-updateObjectTags"),
    "UpdateObjectTagsInput.tags": ("live3p", "live-12-updateObjectTags"),
    "UpdateObjectTagsInput.type": ("live3p", "live-12-updateObjectTags"),
    "UpdatePlaylistItemInput.item": ("official", "doc-11-updatePlaylistItems"),
    "UpdatePlaylistItemInput.pos": ("official", "doc-11-updatePlaylistItems"),
    "UpdatePlaylistItemsInput.items": ("official", "doc-11-updatePlaylistItems"),
}


def evidence_of(name: str) -> tuple[str, str | None]:
    """``(trust, document id)`` of a name the provider sends; ``("unknown", None)`` for one it does not."""
    if name in TRUSTED_NAMES:
        return TRUSTED_NAMES[name]
    weak = WEAK_NAMES.get(name)
    return (weak.trust, weak.doc) if weak else ("unknown", None)
