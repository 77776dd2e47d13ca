"""Playlists and their items (assets or nested playlists, each with its own duration)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .core import StateCore
from .records import _PLAYLIST_ITEM_FIELDS, OptiSignsError, _item, _public, iso


class PlaylistsMixin(StateCore):
    """Playlists of the account."""

    def playlist_view(self, playlist: dict[str, Any], base_url: str) -> dict[str, Any]:
        view = _public(playlist)
        view["assets"] = self.playlist_items(playlist, base_url)
        view["totalDuration"] = sum(item.get("duration") or 0 for item in view["assets"])
        return view

    def playlist_items(self, playlist: dict[str, Any], base_url: str) -> list[dict[str, Any]]:
        items = []
        for item in playlist["emu_items"]:
            ref = item["emu_ref"]
            if item["emu_kind"] == "PLAYLIST":
                nested = self.playlists.get(ref)
                base: dict[str, Any] = {"_id": ref, "type": "playlist", "fileType": "playlist"}
                if nested is not None:
                    base["filename"] = nested["name"]
            else:
                asset = self.assets.get(ref)
                base = self.asset_view(asset, base_url) if asset is not None else {"_id": ref}
            base = {k: base.get(k) for k in _PLAYLIST_ITEM_FIELDS if k in base}
            base.update({k: v for k, v in item.items() if not k.startswith("emu_")})
            items.append(base)
        return items

    def _new_playlist(self, payload: dict[str, Any], team: str, t: datetime) -> dict[str, Any]:
        playlist_id = self._meteor()
        playlist = {
            "_id": playlist_id,
            "name": payload["name"],
            "color": None,
            "path": None,
            "tags": [],
            "options": None,
            "teamId": team,
            "lastTeamId": team,
            "accountId": self.account_id,
            "isDisable": False,
            "createdAt": iso(t),
            "createdBy": self.user["_id"],
            "lastUpdatedBy": self.user["_id"],
            "lastUpdatedDate": iso(t),
            "emu_items": [],
        }
        playlist.update({k: v for k, v in payload.items() if k not in ("_id", "teamId") and v is not None})
        self.playlists[playlist_id] = playlist
        return playlist

    def save_playlist(self, payload: dict[str, Any], team: str) -> dict[str, Any]:
        with self.lock:
            if payload.get("_id"):
                playlist = self._playlist(payload["_id"], team)
                for key, value in payload.items():
                    if key not in ("_id", "teamId"):
                        playlist[key] = value
                playlist["lastUpdatedDate"] = iso(self.clock.now())
                return playlist
            if not (payload.get("name") or "").strip():
                raise OptiSignsError(400, "name must not be empty")
            target_team = payload.get("teamId") or team
            self.check_team(target_team)
            return self._new_playlist(payload, target_team, self.clock.now())

    def add_playlist_items(self, playlist_id: str, payload: dict[str, Any], team: str) -> dict[str, Any]:
        with self.lock:
            playlist = self._playlist(playlist_id, team)
            kind = payload.get("type") or "ASSET"
            if kind not in ("ASSET", "PLAYLIST"):
                raise OptiSignsError(400, "type must be ASSET or PLAYLIST")
            new_items = []
            for ref in payload["ids"]:
                if kind == "ASSET":
                    self._asset(ref, team)
                else:
                    self._playlist(ref, team)
                    if ref == playlist_id:
                        raise OptiSignsError(400, "A playlist cannot contain itself")
                new_items.append(_item(ref, kind))
            items = playlist["emu_items"]
            pos = payload.get("pos")
            if pos is None:
                pos = len(items)
            if pos < 0:
                raise OptiSignsError(400, f"pos must be >= 0; got {pos}")
            pos = min(pos, len(items))  # past the end appends [INFERRED]
            items[pos:pos] = new_items
            playlist["lastUpdatedDate"] = iso(self.clock.now())
            return playlist

    def _check_positions(self, playlist: dict[str, Any], positions: Iterable[int], field: str) -> list[int]:
        count = len(playlist["emu_items"])
        checked = []
        for pos in positions:
            if not 0 <= pos < count:
                raise OptiSignsError(400, f"{field} {pos} is out of range: the playlist has {count} item(s)")
            checked.append(pos)
        return checked

    def update_playlist_items(self, playlist_id: str, payload: dict[str, Any], team: str) -> dict[str, Any]:
        with self.lock:
            playlist = self._playlist(playlist_id, team)
            updates = []
            for entry in payload["items"]:
                positions = self._check_positions(playlist, entry["pos"], "pos")
                changes = {k: v for k, v in (entry.get("item") or {}).items() if v is not None}
                updates.append((positions, changes))
            for positions, changes in updates:
                for pos in positions:
                    playlist["emu_items"][pos].update(changes)
            playlist["lastUpdatedDate"] = iso(self.clock.now())
            return playlist

    def remove_playlist_items(self, playlist_id: str, positions: list[int], team: str) -> dict[str, Any]:
        with self.lock:
            playlist = self._playlist(playlist_id, team)
            drop = set(self._check_positions(playlist, positions, "pos"))
            playlist["emu_items"] = [item for i, item in enumerate(playlist["emu_items"]) if i not in drop]
            playlist["lastUpdatedDate"] = iso(self.clock.now())
            return playlist

    def move_playlist_items(self, playlist_id: str, froms: list[int], to: int, team: str) -> dict[str, Any]:
        """Take the items at ``froms`` (in that order) out and insert them at ``to`` of what remains. [INFERRED]"""
        with self.lock:
            playlist = self._playlist(playlist_id, team)
            positions = self._check_positions(playlist, froms, "froms")
            if len(set(positions)) != len(positions):
                raise OptiSignsError(400, "froms must not repeat a position")
            if to < 0:
                raise OptiSignsError(400, f"to must be >= 0; got {to}")
            items = playlist["emu_items"]
            moving = [items[p] for p in positions]
            rest = [item for i, item in enumerate(items) if i not in set(positions)]
            to = min(to, len(rest))
            playlist["emu_items"] = rest[:to] + moving + rest[to:]
            playlist["lastUpdatedDate"] = iso(self.clock.now())
            return playlist
