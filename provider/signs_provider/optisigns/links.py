"""The "OptiSigns" button on a task: opens what the task made or changed in the OptiSigns web app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

#: Web-app addresses of OptiSigns objects. The app's routes are not documented (only
#: ``https://app.optisigns.com/app/s/apikeys`` is); these paths are a guess [INFERRED]:
#: if OptiSigns uses other routes, this one table is what to change.
OPTISIGNS_APP_URLS: dict[str, str] = {
    "asset": "https://app.optisigns.com/app/assets/{id}",
    "playlist": "https://app.optisigns.com/app/playlists/{id}",
    "screen": "https://app.optisigns.com/app/screens/{id}",
    "schedule": "https://app.optisigns.com/app/schedules/{id}",
}

#: XCom key under which an operator stores the address the button opens.
LINK_XCOM_KEY = "optisigns_app_url"


def optisigns_app_url(kind: str, object_id: str) -> str:
    """The web-app address of an OptiSigns object (``kind``: asset, playlist, screen or schedule).

    >>> optisigns_app_url("playlist", "d87B9ARKPyH8YYBbs")
    'https://app.optisigns.com/app/playlists/d87B9ARKPyH8YYBbs'
    """
    from urllib.parse import quote

    if kind not in OPTISIGNS_APP_URLS:
        raise ValueError(f"kind must be one of {', '.join(OPTISIGNS_APP_URLS)}; got {kind!r}")
    return OPTISIGNS_APP_URLS[kind].format(id=quote(str(object_id), safe=""))


class OptiSignsLink(BaseOperatorLink):
    """Opens the asset, playlist or screen a task worked on, in app.optisigns.com."""

    name = "OptiSigns"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.providers.common.compat.sdk import XCom

        return XCom.get_value(key=LINK_XCOM_KEY, ti_key=ti_key) or ""
