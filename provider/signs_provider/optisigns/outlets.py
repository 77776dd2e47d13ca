"""Airflow Assets that stand for OptiSigns content, for data-aware scheduling.

An operator that changes what screens show declares one as an outlet; a downstream DAG scheduled
on it runs each time that content is updated::

    from signs_provider.optisigns.outlets import screens_tag_asset

    OptiSignsPushToScreensOperator(..., tags=["lobby"], outlets=[screens_tag_asset("lobby")])

    @dag(schedule=[screens_tag_asset("lobby")])
    def after_lobby_screens_updated(): ...

The URIs use the ``optisigns://`` scheme: ``optisigns://screens/tag/<tag>``,
``optisigns://screens/<screen id>`` and ``optisigns://playlists/<playlist name>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from airflow.sdk import Asset

SCHEME = "optisigns"


def _asset(path: str, value: str, *, what: str) -> Asset:
    from airflow.sdk import Asset

    if not value or not value.strip():
        raise ValueError(f"{what} must not be empty.")
    return Asset(f"{SCHEME}://{path}/{quote(value.strip(), safe='')}")


def screens_tag_asset(tag: str) -> Asset:
    """The content of the screens tagged ``tag``: ``optisigns://screens/tag/<tag>``."""
    return _asset("screens/tag", tag, what="tag")


def screen_asset(screen_id: str) -> Asset:
    """The content of one screen: ``optisigns://screens/<id>``."""
    return _asset("screens", screen_id, what="screen_id")


def playlist_asset(name: str) -> Asset:
    """A playlist's items, by playlist name: ``optisigns://playlists/<name>``."""
    return _asset("playlists", name, what="name")
