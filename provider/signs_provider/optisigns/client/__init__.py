"""The OptiSigns API, one object per area, free of Airflow (the hook wraps it; tests can fake the session).

Example::

    client = OptiSignsHook().client
    asset = client.assets.upsert_website("Menu", "https://menu.example.com")
    client.delivery.push(asset_id=asset["_id"], tags=["lobby"])

The areas get what they depend on as constructor arguments, so the dependencies are visible here:
delivery needs screens; housekeeping reads assets, playlists, schedules and screens; uploads save
assets. Everything sends through one :class:`~signs_provider.optisigns.client.graphql.GraphQLSession`.
"""

from __future__ import annotations

from signs_provider.optisigns.client.assets import Assets
from signs_provider.optisigns.client.delivery import Delivery
from signs_provider.optisigns.client.graphql import GraphQLSession
from signs_provider.optisigns.client.housekeeping import Housekeeping
from signs_provider.optisigns.client.playlists import Playlists
from signs_provider.optisigns.client.schedules import Schedules
from signs_provider.optisigns.client.screens import Screens
from signs_provider.optisigns.client.uploads import Uploads

__all__ = ["OptiSignsClient"]


class OptiSignsClient:
    """The API areas over one GraphQL session.

    :param graphql: the session every area sends through.
    :param upload_url: the upload service (Transloadit assemblies).
    :param max_upload_bytes: the largest file an upload accepts.
    """

    def __init__(self, graphql: GraphQLSession, *, upload_url: str, max_upload_bytes: int) -> None:
        self.graphql = graphql
        self.screens = Screens(graphql)
        self.assets = Assets(graphql)
        self.uploads = Uploads(graphql, self.assets, url=upload_url, max_bytes=max_upload_bytes)
        self.playlists = Playlists(graphql)
        self.schedules = Schedules(graphql)
        self.delivery = Delivery(graphql, self.screens)
        self.housekeeping = Housekeeping(self.assets, self.playlists, self.schedules, self.screens)
