"""Assets: list and read them, wait for a conversion, website assets, tags and deletion."""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from signs_provider.common.errors import SignsConfigError
from signs_provider.optisigns.client._inputs import (
    merge_tags,
    name_text,
    oldest,
    required,
    str_list,
    web_url,
    with_provider_tag,
)
from signs_provider.optisigns.client.graphql import Mutation, list_query
from signs_provider.optisigns.errors import (
    AssetProcessingError,
    OptiSignsNotFoundError,
    OptiSignsTimeoutError,
)

if TYPE_CHECKING:
    from signs_provider.optisigns.client.graphql import GraphQLSession
    from signs_provider.optisigns.client.types import AssetInfo, TagMode

ASSET_FIELDS = (
    "_id originalFileName name type fileType webLink webType status tags path processId "
    "fileSize createdAt lastUpdatedDate"
)
ASSETS_QUERY = list_query("assets", "QueryAssetInput", ASSET_FIELDS)
_SAVE_ASSET = (
    "mutation SaveAsset($payload: AssetInput!, $teamId: String) {\n"
    f"  saveAsset(payload: $payload, teamId: $teamId) {{ {ASSET_FIELDS} }}\n}}"
)
#: Saving without an ``_id`` creates an asset: never sent twice blindly (see ``create_once``).
CREATE_ASSET = Mutation(_SAVE_ASSET, "saveAsset", idempotent=False)
#: Saving the same fields on the same ``_id`` again changes nothing: safe to retry.
UPDATE_ASSET = Mutation(_SAVE_ASSET, "saveAsset", idempotent=True)
# The end state is the same however many times it is applied.
UPDATE_OBJECT_TAGS = Mutation(
    "mutation UpdateObjectTags($payload: UpdateObjectTagsInput!, $teamId: String) {\n"
    "  updateObjectTags(payload: $payload, teamId: $teamId)\n}",
    "updateObjectTags",
    idempotent=True,
)

# Asset ``status`` values while OptiSigns is still converting an upload, and when it gave up. Only
# "converting" is documented; the ready value is not, so anything else counts as ready. [INFERRED]
_PROCESSING_STATUSES = frozenset({"converting", "processing", "uploading", "pending", "queued"})
_FAILED_STATUSES = frozenset({"failed", "error", "conversion_failed"})


class Assets:
    """The team's assets (files and website assets)."""

    def __init__(self, graphql: GraphQLSession) -> None:
        self.graphql = graphql

    def list(
        self,
        *,
        name: str | None = None,
        tags: Iterable[str] | None = None,
        asset_type: str | None = None,
    ) -> builtins.list[AssetInfo]:
        """The team's assets, optionally filtered by exact name (``originalFileName``), tags or type."""
        filters = {
            "originalFileName": name,
            "tags": str_list(tags, field="tags") if tags else None,
            "type": asset_type,
        }
        return self.graphql.list(ASSETS_QUERY, filters)

    def get(self, asset_id: str) -> AssetInfo:
        """One asset by id."""
        for asset in self.graphql.list(ASSETS_QUERY, {"_id": required(asset_id, field="asset_id")}):
            if asset.get("_id") == asset_id:
                return asset  # type: ignore[no-any-return]
        raise _not_found(asset_id)

    async def aget(self, asset_id: str) -> AssetInfo:
        """:meth:`get` without blocking the event loop (for triggers)."""
        for asset in await self.graphql.alist(ASSETS_QUERY, {"_id": required(asset_id, field="asset_id")}):
            if asset.get("_id") == asset_id:
                return asset  # type: ignore[no-any-return]
        raise _not_found(asset_id)

    def create(self, payload: dict[str, Any], *, look: Any, what: str) -> AssetInfo:
        """Save a new asset once, looking for it with ``look`` if the answer is lost."""
        return self.graphql.create_once(CREATE_ASSET, {"payload": payload}, look=look, what=what)  # type: ignore[no-any-return]

    def wait_for_ready(self, asset_id: str, *, timeout: float = 600, poll_interval: float = 5) -> AssetInfo:
        """Poll until OptiSigns has converted the asset; return it.

        :raises AssetProcessingError: the conversion failed.
        :raises OptiSignsTimeoutError: still converting after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            asset = self.get(asset_id)
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

    def upsert_website(
        self, name: str, url: str, *, tags: Iterable[str] = (), path: str | None = None
    ) -> AssetInfo:
        """Create the website asset ``name`` showing ``url``, or update the one that exists.

        A re-run updates the same asset instead of adding another one. When several website
        assets share the name, the oldest is updated.
        """
        name = name_text(name)
        url = web_url(url)
        all_tags = with_provider_tag(tags)
        existing = self._find_website(name)
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
            payload["tags"] = merge_tags(existing.get("tags"), all_tags)
            return self.graphql.send(UPDATE_ASSET, {"payload": payload})  # type: ignore[no-any-return]
        what = f"website asset {name!r}"
        created = self.create(payload, look=lambda: self._find_website(name), what=what)
        # Concurrent upserts of one name converge on the oldest asset (the younger is deleted).
        return self.graphql.keep_oldest(  # type: ignore[no-any-return]
            created, lambda: self._find_website(name), object_type="ASSET", what=what
        )

    def _find_website(self, name: str) -> AssetInfo | None:
        return oldest(a for a in self.list(name=name) if (a.get("type") == "web" or a.get("webLink")))  # type: ignore[no-any-return]

    def tag(self, asset_ids: Iterable[str], tags: Iterable[str], *, mode: TagMode = "ADD") -> None:
        """Add (``ADD``), replace (``SET``) or remove all (``CLEAR``) tags of assets, in one call."""
        ids = str_list(asset_ids, field="asset_ids")
        if not ids:
            raise SignsConfigError("asset_ids: give at least one asset id.")
        if mode not in ("ADD", "SET", "CLEAR"):
            raise SignsConfigError(f"mode: {mode!r} is not one of ADD, SET, CLEAR.")
        tag_list = str_list(tags, field="tags")
        if mode != "CLEAR" and not tag_list:
            raise SignsConfigError("tags: give at least one tag (or use mode='CLEAR').")
        self.graphql.send(
            UPDATE_OBJECT_TAGS, {"payload": {"ids": ids, "type": "ASSET", "mutation": mode, "tags": tag_list}}
        )

    def delete(self, asset_ids: Iterable[str]) -> builtins.list[str]:
        """Delete assets in one call; return the ids deleted."""
        ids = str_list(asset_ids, field="asset_ids")
        if ids:
            self.graphql.delete_objects(ids, "ASSET")
        return ids


def _not_found(asset_id: str) -> OptiSignsNotFoundError:
    return OptiSignsNotFoundError(f"OptiSigns has no asset with id {asset_id!r} in this team.")


def asset_state(asset: Mapping[str, Any]) -> Literal["processing", "ready", "failed"]:
    """Whether OptiSigns is still converting an asset, is done, or failed (from its ``status``)."""
    status = str(asset.get("status") or "").strip().lower()
    if status in _PROCESSING_STATUSES:
        return "processing"
    if status in _FAILED_STATUSES:
        return "failed"
    return "ready"


def asset_summary(asset: Mapping[str, Any]) -> dict[str, Any]:
    """The few fields of an asset worth an XCom."""
    return {
        "asset_id": asset.get("_id"),
        "name": asset.get("originalFileName") or asset.get("name"),
        "status": asset.get("status"),
        "file_type": asset.get("fileType"),
    }
