"""Playlists: create or update by name, make their items exactly a wanted list, edit items by position.

A sync sends a minimal edit (:func:`plan_changes`): what both lists share stays, wherever the
changes are, and a playlist that does not change is read once.

Adding, removing and moving items are addressed by position and not idempotent: each is sent once
and, when its answer is lost, settled by reading the playlist back (:meth:`Playlists._apply`).
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import partial
from typing import TYPE_CHECKING, Any

from signs_provider.common.errors import AmbiguousWriteError, SignsApiError, SignsConfigError
from signs_provider.common.recovery import is_ambiguous, settle
from signs_provider.optisigns.client._inputs import name_text, oldest, positions, required, str_list
from signs_provider.optisigns.client.graphql import Mutation, list_query
from signs_provider.optisigns.client.types import PlaylistEntry
from signs_provider.optisigns.errors import OptiSignsNotFoundError

if TYPE_CHECKING:
    from signs_provider.optisigns.client.graphql import GraphQLSession, Operation
    from signs_provider.optisigns.client.types import PlaylistEntryLike, PlaylistInfo

log = logging.getLogger(__name__)

PLAYLIST_FIELDS = "_id name tags path totalDuration createdAt assets { _id filename fileType type duration }"
PLAYLISTS_QUERY = list_query("playlists", "QueryPlaylistInput", PLAYLIST_FIELDS)
_SAVE_PLAYLIST = (
    "mutation SavePlaylist($payload: PlaylistInput!, $teamId: String) {\n"
    f"  savePlaylist(payload: $payload, teamId: $teamId) {{ {PLAYLIST_FIELDS} }}\n}}"
)
#: Saving without an ``_id`` creates a playlist: never sent twice blindly.
CREATE_PLAYLIST = Mutation(_SAVE_PLAYLIST, "savePlaylist", idempotent=False)
#: Saving the same fields on the same ``_id`` again changes nothing: safe to retry.
UPDATE_PLAYLIST = Mutation(_SAVE_PLAYLIST, "savePlaylist", idempotent=True)


def _items_mutation(op: str, input_type: str, *, idempotent: bool) -> Operation:
    return Mutation(
        f"mutation {op}($id: String!, $payload: {input_type}!, $teamId: String) {{\n"
        f"  {op}(_id: $id, payload: $payload, teamId: $teamId) {{ _id }}\n}}",
        op,
        idempotent=idempotent,
    )


# Position-addressed changes: applied twice they add, remove or move twice.
ADD_ITEMS = _items_mutation("addPlaylistItems", "AddPlaylistItemsInput", idempotent=False)
REMOVE_ITEMS = _items_mutation("removePlaylistItems", "RemovePlaylistItemsInput", idempotent=False)
MOVE_ITEMS = _items_mutation("movePlaylistItems", "MovePlaylistItemsInput", idempotent=False)
# Setting a duration at a position is the same however often it is done.
UPDATE_ITEMS = _items_mutation("updatePlaylistItems", "UpdatePlaylistItemsInput", idempotent=True)

#: Rounds of changes :meth:`Playlists.set_items` sends before it reports what still differs.
ROUNDS = 3


class Playlists:
    """The team's playlists."""

    def __init__(self, graphql: GraphQLSession) -> None:
        self.graphql = graphql

    # -- reading --------------------------------------------------------------------------------

    def list(
        self, *, name: str | None = None, tags: Iterable[str] | None = None
    ) -> builtins.list[PlaylistInfo]:
        """The team's playlists, optionally filtered by exact name or tags."""
        return self.graphql.list(
            PLAYLISTS_QUERY, {"name": name, "tags": str_list(tags, field="tags") if tags else None}
        )

    def get(self, playlist_id: str) -> PlaylistInfo:
        """One playlist by id, with its ordered items."""
        for playlist in self.graphql.list(
            PLAYLISTS_QUERY, {"_id": required(playlist_id, field="playlist_id")}
        ):
            if playlist.get("_id") == playlist_id:
                return playlist  # type: ignore[no-any-return]
        raise OptiSignsNotFoundError(f"OptiSigns has no playlist with id {playlist_id!r} in this team.")

    def find(self, name: str) -> PlaylistInfo | None:
        """The playlist called ``name`` (the oldest by ``createdAt``, if several are), or ``None``."""
        return oldest(p for p in self.list(name=name) if p.get("name") == name)  # type: ignore[no-any-return]

    # -- whole playlists --------------------------------------------------------------------------

    def upsert(self, name: str, *, tags: Iterable[str] = (), path: str | None = None) -> PlaylistInfo:
        """Create the playlist ``name``, or update the tags and folder of the one that exists."""
        name = name_text(name)
        return self.graphql.upsert_named(  # type: ignore[no-any-return]
            name,
            tags,
            path,
            find=lambda: self.find(name),
            create=CREATE_PLAYLIST,
            update=UPDATE_PLAYLIST,
            what=f"playlist {name!r}",
            object_type="PLAYLIST",
        )

    def delete(self, playlist_ids: Iterable[str]) -> builtins.list[str]:
        """Delete playlists in one call; return the ids deleted."""
        ids = str_list(playlist_ids, field="playlist_ids")
        if ids:
            self.graphql.delete_objects(ids, "PLAYLIST")
        return ids

    def sync(
        self,
        name: str,
        entries: Sequence[PlaylistEntry],
        *,
        tags: Iterable[str] = (),
        path: str | None = None,
    ) -> tuple[PlaylistInfo, builtins.list[str]]:
        """Make the playlist ``name`` (created if missing) hold exactly ``entries``.

        :return: the playlist as read back, and the asset ids this took out of it.
        """
        playlist = self.upsert(name, tags=tags, path=path)
        before = set(item_ids(playlist))
        # The upsert just read the playlist with its items: not read again before the plan.
        playlist = self.set_items(playlist["_id"], entries, current=playlist)
        return playlist, sorted(before - set(item_ids(playlist)))

    # -- items ----------------------------------------------------------------------------------

    def set_items(
        self,
        playlist_id: str,
        items: Iterable[PlaylistEntryLike],
        *,
        current: PlaylistInfo | None = None,
    ) -> PlaylistInfo:
        """Make the playlist's items exactly ``items``, in order, with their durations.

        Only the difference is sent (see :func:`plan_changes`); the result is read back and
        checked, for up to :data:`ROUNDS` rounds. ``current``: the playlist as just read (with its
        items), which spares the first read.

        :raises SignsApiError: the playlist still differs after the last round (the message names
            the positions), e.g. when the API ignores a duration.
        """
        wanted = [PlaylistEntry.coerce(item, index=i) for i, item in enumerate(items)]
        playlist = (
            current if current is not None and current.get("_id") == playlist_id else self.get(playlist_id)
        )
        for _ in range(ROUNDS):
            if not differences(playlist, wanted):
                return playlist
            self._converge(playlist, wanted)
            playlist = self.get(playlist_id)
        left = differences(playlist, wanted)
        if left:
            raise SignsApiError(
                f"Playlist {playlist_id} does not hold the wanted items after {ROUNDS} rounds of changes: "
                f"{'; '.join(left)}. OptiSigns did not apply part of the change."
            )
        return playlist

    def _converge(self, playlist: PlaylistInfo, wanted: builtins.list[PlaylistEntry]) -> None:
        """Send the steps that turn ``playlist`` into ``wanted`` (:func:`plan_changes`), then the durations."""
        playlist_id = playlist["_id"]
        plan = plan_changes(playlist, wanted)
        for step in plan.steps:
            self._apply(
                playlist_id,
                list(step.before),
                list(step.after),
                partial(self._send_step, playlist_id, step),
                what=step.what,
            )
        if plan.durations:
            self.set_durations(playlist_id, plan.durations)

    def _send_step(self, playlist_id: str, step: Step) -> None:
        if step.add:
            self._send_add(playlist_id, step.add, step.at)
        elif step.move:
            payload = {"froms": step.move, "to": step.at}
            self.graphql.send(MOVE_ITEMS, {"id": playlist_id, "payload": payload})
        else:
            self.graphql.send(REMOVE_ITEMS, {"id": playlist_id, "payload": {"pos": step.remove}})

    def _send_add(self, playlist_id: str, asset_ids: builtins.list[str], pos: int) -> None:
        payload = {"ids": asset_ids, "pos": pos, "type": "ASSET"}
        self.graphql.send(ADD_ITEMS, {"id": playlist_id, "payload": payload})

    def set_durations(self, playlist_id: str, by_duration: Mapping[float, builtins.list[int]]) -> None:
        """Set the duration (seconds) of the items at the given positions, one entry per duration."""
        items = [{"item": {"duration": seconds}, "pos": pos} for seconds, pos in by_duration.items()]
        self.graphql.send(UPDATE_ITEMS, {"id": playlist_id, "payload": {"items": items}})

    def add_items(
        self,
        playlist_id: str,
        asset_ids: Iterable[str],
        *,
        position: int | None = None,
        duration: float | None = None,
    ) -> PlaylistInfo:
        """Insert assets at ``position`` (default: the end), optionally with one duration for them."""
        ids = str_list(asset_ids, field="asset_ids")
        if not ids:
            raise SignsConfigError("asset_ids: give at least one asset id.")
        if duration is not None:
            PlaylistEntry.coerce((ids[0], duration))
        before = item_ids(self.get(playlist_id))
        pos = len(before) if position is None else position
        if not 0 <= pos <= len(before):
            raise SignsConfigError(f"position: {position} is outside the playlist (0..{len(before)}).")
        expected = before[:pos] + ids + before[pos:]
        self._apply(
            playlist_id, before, expected, lambda: self._send_add(playlist_id, ids, pos), what="add items to"
        )
        if duration is not None:
            self.set_durations(playlist_id, {float(duration): list(range(pos, pos + len(ids)))})
        return self.get(playlist_id)

    def remove_items(self, playlist_id: str, at: Iterable[int]) -> PlaylistInfo:
        """Remove the items at these 0-based positions."""
        before = item_ids(self.get(playlist_id))
        pos = sorted(set(positions(at, size=len(before), field="positions")))
        expected = [item for i, item in enumerate(before) if i not in pos]
        self._apply(
            playlist_id,
            before,
            expected,
            lambda: self.graphql.send(REMOVE_ITEMS, {"id": playlist_id, "payload": {"pos": pos}}),
            what="remove items from",
        )
        return self.get(playlist_id)

    def move_items(self, playlist_id: str, at: Iterable[int], to: int) -> PlaylistInfo:
        """Move the items at ``at`` so that they start at index ``to`` of the result."""
        before = item_ids(self.get(playlist_id))
        froms = positions(at, size=len(before), field="positions")
        moved = [before[i] for i in froms]
        rest = [item for i, item in enumerate(before) if i not in set(froms)]
        if not 0 <= to <= len(rest):
            raise SignsConfigError(f"to: {to} is outside the playlist (0..{len(rest)}).")
        expected = rest[:to] + moved + rest[to:]
        self._apply(
            playlist_id,
            before,
            expected,
            lambda: self.graphql.send(MOVE_ITEMS, {"id": playlist_id, "payload": {"froms": froms, "to": to}}),
            what="move items in",
        )
        return self.get(playlist_id)

    def _apply(
        self,
        playlist_id: str,
        before: builtins.list[str],
        expected: builtins.list[str],
        send: Callable[[], Any],
        *,
        what: str,
    ) -> None:
        """Send a position-addressed change once; when its answer is lost, read the playlist to see what happened.

        The playlist is read until it changes or the landing wait is over (:func:`settle`). Changed
        as expected: done. Unchanged: :class:`AmbiguousWriteError`, whatever the failure (a timeout,
        a dropped connection, a gateway error): a gateway may have passed the request on, and a
        position-addressed change applied twice adds twice or removes a wanted item. It is never
        resent without reading the playlist again: :meth:`set_items` (or a retry of the task)
        re-plans from the playlist as it is then. Changed otherwise: an error names what it holds now.
        """
        try:
            send()
            return
        except Exception as exc:
            if not is_ambiguous(exc):
                raise
            failure = exc

        def changed() -> tuple[builtins.list[str]] | None:
            # A one-item tuple, so that a playlist emptied by the change still counts as found.
            items = item_ids(self.get(playlist_id))
            return None if items == before else (items,)

        seen = settle(changed, wait=self.graphql.landing_wait, interval=self.graphql.look_interval)
        now = seen[0] if seen else before
        if now == expected:
            return
        timed_out = isinstance(failure, AmbiguousWriteError) and failure.timed_out
        if now == before:
            raise AmbiguousWriteError(
                f"The request to {what} playlist {playlist_id} got no answer ({failure}) and had not "
                f"applied {self.graphql.landing_wait:.0f}s later. OptiSigns may still apply it, so it was "
                "not sent again (a position-addressed change applied twice would add or remove twice): "
                "check the playlist, then use set_playlist_items, which re-reads it and sends only the "
                "difference.",
                method=getattr(failure, "method", "POST"),
                url=getattr(failure, "url", self.graphql.url),
                timed_out=timed_out,
            ) from failure
        raise SignsApiError(
            f"Could not {what} playlist {playlist_id}: the answer was lost and the playlist changed "
            f"in another way meanwhile (now {now}). Check it, then use set_playlist_items."
        ) from None


# -- pure logic --------------------------------------------------------------------------------------


def item_ids(playlist: Mapping[str, Any]) -> builtins.list[str]:
    """The asset ids of a playlist's items, in order."""
    return [str(item.get("_id")) for item in playlist.get("assets") or []]


#: A sync sends at most this many ``addPlaylistItems`` (one per run of new items); with more runs
#: of changes, everything between the first and the last change is replaced in one add.
MAX_ADD_RUNS = 4


@dataclass(frozen=True)
class Step:
    """One position-addressed change of a sync, with the items before and after it.

    :ivar add: asset ids inserted at ``at`` (an ``addPlaylistItems``), or empty for a removal.
    :ivar at: where ``add`` goes.
    :ivar remove: positions removed (one ``removePlaylistItems``), for a removal.
    :ivar move: positions moved together to start at ``at`` of the result (one ``movePlaylistItems``).
    """

    before: tuple[str, ...]
    after: tuple[str, ...]
    add: builtins.list[str] = field(default_factory=list)
    at: int = 0
    remove: builtins.list[int] = field(default_factory=list)
    move: builtins.list[int] = field(default_factory=list)

    @property
    def what(self) -> str:
        return "add items to" if self.add else "move items in" if self.move else "remove items from"


@dataclass
class ItemsPlan:
    """The changes that turn a playlist into the wanted items (see :func:`plan_changes`).

    :ivar current: the item ids now.
    :ivar steps: the adds and removals, in the order they are sent.
    :ivar result: the items once every step is done.
    :ivar durations: positions to set (in ``result``), by duration.
    """

    current: builtins.list[str]
    steps: builtins.list[Step]
    result: builtins.list[str]
    durations: dict[float, builtins.list[int]]

    @property
    def add(self) -> builtins.list[str]:
        """Every asset id added, in order."""
        return [item for step in self.steps for item in step.add]

    @property
    def largest(self) -> int:
        """The most items the playlist holds at any moment of the sync."""
        return max([len(self.current), *(len(step.after) for step in self.steps)])


def plan_changes(playlist: Mapping[str, Any], wanted: Sequence[PlaylistEntry]) -> ItemsPlan:
    """What to send to turn ``playlist`` into ``wanted``: a minimal edit, wherever the changes are.

    The items both lists share, in order (a longest matching, :class:`difflib.SequenceMatcher` on
    the asset ids), stay where they are; only the others are sent. Steps: one removal of every
    item that goes, then one add per run of new items, each at its final position (everything
    before it is then in place). So the playlist never holds more than the larger of its old and
    its new length, and is never empty on the way (but when ``wanted`` is). When it shares no item
    with ``wanted``, one old item is kept as a bridge: the others go, the new items are added after
    it, then it goes (three calls; at most one item more than ``wanted``). More than
    :data:`MAX_ADD_RUNS` runs of new items: everything between the first and last change is
    replaced instead (one add). A single block moved (two items swapped, one item moved) is one
    ``movePlaylistItems``. Durations are set where they differ (or for every new item that names
    one), in one call.
    """
    current = item_ids(playlist)
    target = [entry.asset_id for entry in wanted]
    opcodes = SequenceMatcher(None, current, target, autojunk=False).get_opcodes()
    changes = [op for op in opcodes if op[0] != "equal"]
    runs = [(j1, j2) for tag, _, _, j1, j2 in changes if j2 > j1]
    moved = _one_move(changes, current, target)
    if moved is not None:
        # One block moved (e.g. two items swapped): one movePlaylistItems (live3p evidence, live-21).
        i1, i2, j1 = moved
        kept_from = {
            b1 + k: a1 + k for tag, a1, a2, b1, _ in opcodes if tag == "equal" for k in range(a2 - a1)
        }
        kept_from.update({j1 + k: i1 + k for k in range(i2 - i1)})
        step = Step(tuple(current), tuple(target), move=list(range(i1, i2)), at=j1)
        return ItemsPlan(current, [step], target, _durations(playlist, wanted, kept_from))
    if len(runs) > MAX_ADD_RUNS:
        # Many scattered changes: one span from the first change to the last (common ends kept).
        (_, i1, _, j1, _), (_, _, i2, _, j2) = changes[0], changes[-1]
        opcodes = [
            ("equal", 0, i1, 0, j1),
            ("replace", i1, i2, j1, j2),
            ("equal", i2, len(current), j2, len(target)),
        ]
        runs = [(j1, j2)] if j2 > j1 else []
    kept_from = {j1 + k: i1 + k for tag, i1, i2, j1, _ in opcodes if tag == "equal" for k in range(i2 - i1)}
    removed = [i for tag, i1, i2, _, _ in opcodes if tag in ("delete", "replace") for i in range(i1, i2)]
    steps: builtins.list[Step] = []
    items = list(current)
    if removed and not kept_from and target and len(current) > 1:
        # Nothing in common: keep the first old item as a bridge until the new ones are in.
        rest = list(range(1, len(current)))
        steps.append(Step(tuple(items), (items[0],), remove=rest))
        items = [items[0]]
        steps.append(Step(tuple(items), tuple(items + target), add=list(target), at=1))
        steps.append(Step(tuple(items + target), tuple(target), remove=[0]))
    elif removed and not kept_from and target:
        steps.append(Step(tuple(items), tuple(items + target), add=list(target), at=len(items)))
        steps.append(Step(tuple(items + target), tuple(target), remove=list(range(len(items)))))
    else:
        if removed:
            gone = set(removed)
            kept = [item for i, item in enumerate(items) if i not in gone]
            steps.append(Step(tuple(items), tuple(kept), remove=removed))
            items = kept
        for j1, j2 in runs:
            after = items[:j1] + target[j1:j2] + items[j1:]
            steps.append(Step(tuple(items), tuple(after), add=target[j1:j2], at=j1))
            items = after
    return ItemsPlan(current, steps, target, _durations(playlist, wanted, kept_from))


def _one_move(
    changes: Sequence[tuple[str, int, int, int, int]], current: builtins.list[str], target: builtins.list[str]
) -> tuple[int, int, int] | None:
    """``(i1, i2, j1)`` when the only change is the block ``current[i1:i2]`` moved to ``target[j1:]``."""
    if len(changes) != 2 or {changes[0][0], changes[1][0]} != {"delete", "insert"}:
        return None
    delete = changes[0] if changes[0][0] == "delete" else changes[1]
    insert = changes[1] if delete is changes[0] else changes[0]
    _, i1, i2, _, _ = delete
    _, _, _, j1, j2 = insert
    return (i1, i2, j1) if current[i1:i2] == target[j1:j2] else None


def _durations(
    playlist: Mapping[str, Any], wanted: Sequence[PlaylistEntry], kept_from: Mapping[int, int]
) -> dict[float, builtins.list[int]]:
    """Positions (in the result) whose duration to set, by duration: new items naming one, kept ones that differ."""
    old_durations = [item.get("duration") for item in playlist.get("assets") or []]
    by_duration: dict[float, builtins.list[int]] = {}
    for pos, entry in enumerate(wanted):
        old = kept_from.get(pos)
        unchanged = old is not None and same_seconds(old_durations[old], entry.duration)
        if entry.duration is not None and not unchanged:
            by_duration.setdefault(entry.duration, []).append(pos)
    return by_duration


def differences(playlist: Mapping[str, Any], wanted: Sequence[PlaylistEntry]) -> builtins.list[str]:
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
        elif not same_seconds(have.get("duration"), want.duration):
            out.append(f"position {pos}: {have.get('duration')}s instead of {want.duration}s")
    return out


def same_seconds(a: Any, b: float | None) -> bool:
    return b is None or (a is not None and abs(float(a) - b) < 1e-6)
