"""Housekeeping: delete what the provider made once nothing uses it any more.

The one area that reads every other: an asset is in use when a playlist or a schedule item holds
it or a screen shows it, so :class:`Housekeeping` is given assets, playlists, schedules and screens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.times import parse_api_time
from signs_provider.optisigns.client._inputs import PROVIDER_TAG, str_list
from signs_provider.optisigns.client.screens import screen_content
from signs_provider.optisigns.client.types import PlaylistEntry

if TYPE_CHECKING:
    from signs_provider.optisigns.client.assets import Assets
    from signs_provider.optisigns.client.playlists import Playlists
    from signs_provider.optisigns.client.schedules import Schedules
    from signs_provider.optisigns.client.screens import Screens
    from signs_provider.optisigns.client.types import PlaylistEntryLike

log = logging.getLogger(__name__)


class Housekeeping:
    """Clean-up of the provider's assets, and the playlist sync that may take part in it."""

    def __init__(self, assets: Assets, playlists: Playlists, schedules: Schedules, screens: Screens) -> None:
        self.assets = assets
        self.playlists = playlists
        self.schedules = schedules
        self.screens = screens

    def asset_ids_in_use(self) -> set[str]:
        """Assets in a playlist, in a schedule item, or shown by a screen now.

        Not visible here: pushes scheduled for later (``pushToScreens`` with ``SCHEDULE``), which
        the API does not list. [INFERRED] Schedule items are read per schedule, as the documented
        ``scheduleItems`` query takes a ``scheduleId``.
        """
        in_use = {str(item.get("_id")) for p in self.playlists.list() for item in p.get("assets") or []}
        for screen in self.screens.list():
            kind, content_id = screen_content(screen)
            if kind == "ASSET" and content_id:
                in_use.add(str(content_id))
        for schedule in self.schedules.list():
            for item in self.schedules.list_items(schedule["_id"]):
                if item.get("assetId"):
                    in_use.add(str(item["assetId"]))
        return in_use

    def delete_unused_provider_assets(self, asset_ids: Iterable[str]) -> list[str]:
        """Delete those of ``asset_ids`` that the provider created and nothing uses any more."""
        ids = set(str_list(asset_ids, field="asset_ids"))
        if not ids:
            return []
        ours = {
            a["_id"] for a in self.assets.list(tags=[PROVIDER_TAG]) if PROVIDER_TAG in (a.get("tags") or [])
        }
        doomed = sorted(ids & ours)
        if doomed:
            doomed = sorted(set(doomed) - self.asset_ids_in_use())
        self.assets.delete(doomed)
        return doomed

    def cleanup_assets(
        self,
        *,
        older_than: timedelta,
        tags: Iterable[str] = (),
        now: datetime | None = None,
        dry_run: bool = False,
        keep_in_use: bool = True,
    ) -> list[str]:
        """Delete the provider's assets older than ``older_than`` (see :meth:`OptiSignsHook.cleanup_assets`)."""
        if older_than < timedelta(0):
            raise SignsConfigError("older_than: must not be negative.")
        wanted = set(str_list(tags, field="tags")) | {PROVIDER_TAG}
        cutoff = (now or datetime.now(timezone.utc)) - older_than
        old = []
        for asset in self.assets.list(tags=[PROVIDER_TAG]):
            created = parse_api_time(asset.get("createdAt"))
            if wanted <= set(asset.get("tags") or []) and created is not None and created < cutoff:
                old.append(asset["_id"])
        if old and keep_in_use:
            in_use = self.asset_ids_in_use()
            kept = [asset_id for asset_id in old if asset_id in in_use]
            if kept:
                log.info("Keeping %d old asset(s) still in use: %s", len(kept), ", ".join(kept))
            old = [asset_id for asset_id in old if asset_id not in in_use]
        if old and not dry_run:
            self.assets.delete(old)
        log.info(
            "%s %d provider asset(s) older than %s.",
            "Would delete" if dry_run else "Deleted",
            len(old),
            cutoff,
        )
        return old

    def sync_playlist(
        self,
        name: str,
        items: Iterable[PlaylistEntryLike],
        *,
        tags: Iterable[str] = (),
        path: str | None = None,
        delete_replaced_assets: bool = False,
    ) -> dict[str, Any]:
        """Make the playlist ``name`` hold exactly ``items``; optionally delete the assets it replaced.

        :return: ``{"playlist_id", "name", "items": [{"asset_id", "duration"}], "deleted_asset_ids"}``.
        """
        entries = [PlaylistEntry.coerce(item, index=i) for i, item in enumerate(items)]
        playlist, replaced = self.playlists.sync(name, entries, tags=tags, path=path)
        deleted = self.delete_unused_provider_assets(replaced) if delete_replaced_assets else []
        return {
            "playlist_id": playlist["_id"],
            "name": playlist.get("name"),
            "items": [
                {"asset_id": i.get("_id"), "duration": i.get("duration")}
                for i in playlist.get("assets") or []
            ],
            "deleted_asset_ids": deleted,
        }
