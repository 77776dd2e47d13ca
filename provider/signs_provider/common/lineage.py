"""OpenLineage facets of the operators that upload, push or send, where the OpenLineage provider is.

The operators' ``get_openlineage_facets_on_complete`` build their lineage here: the datasets they read
(the file, the web page or feed, the OptiSigns content) and write (the OptiSigns asset, playlist or
screens, the OpenSign document). Nothing here imports OpenLineage at module level: DAG files import
the operators at every parse, and the OpenLineage provider is optional. Without it every function
returns ``None``, and the operator reports nothing.

Dataset names follow OpenLineage's naming (namespace ``scheme://authority``, then a name unique in
it). Object storage and local files are named as Airflow's own providers name them (``s3://bucket`` +
key; ``file`` + absolute path). The two APIs have no registered scheme; these are the provider's:

* ``optisigns://<API host>``: ``assets/<id>``, ``playlists/<id>``, ``schedules/<id>``,
  ``screens/<id>`` (OptiSigns ids are unique across teams);
* ``opensign://<API host>``: ``documents/<id>``, ``templates/<id>`` (the host tells the sandbox from
  production).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


def _dataset_class() -> Any | None:
    try:
        from openlineage.client.event_v2 import Dataset
    except ImportError:
        return None
    return Dataset


def dataset(namespace: str, name: str) -> Any | None:
    """An OpenLineage ``Dataset``, or ``None`` where OpenLineage is not installed."""
    cls = _dataset_class()
    return None if cls is None else cls(namespace=namespace, name=name)


def api_namespace(scheme: str, url: str) -> str:
    """``scheme://<host[:port]>`` of an API endpoint: ``api_namespace("opensign", "https://x/api")``."""
    parts = urlsplit(url)
    return f"{scheme}://{_authority(parts) if parts.hostname else url}"


def source_dataset(source: Any) -> Any | None:
    """The dataset of a file given as a local path, a URL (``s3://``, ``https://``) or an ``ObjectStoragePath``.

    ``None`` for bytes (no name to give) and where OpenLineage is not installed.
    """
    if source is None or isinstance(source, (bytes, bytearray, memoryview)):
        return None
    namespace = getattr(source, "namespace", None)
    key = getattr(source, "key", None)
    if isinstance(namespace, str) and isinstance(key, str):  # an ObjectStoragePath
        if namespace == "file":
            return dataset("file", "/" + key.lstrip("/"))
        return dataset(namespace, key.lstrip("/"))
    text = os.fspath(source) if isinstance(source, os.PathLike) else str(source)
    parts = urlsplit(text)
    if parts.scheme and parts.scheme != "file" and len(parts.scheme) > 1:  # not C:\ on Windows
        if parts.scheme in ("http", "https"):
            return url_dataset(text)
        return dataset(f"{parts.scheme}://{parts.netloc}", parts.path.lstrip("/"))
    path = parts.path if parts.scheme == "file" else text
    return dataset("file", os.path.abspath(path))


def url_dataset(url: str) -> Any | None:
    """A web page or feed: namespace ``https://host[:port]``, name its path (``/`` for none).

    The query and any ``user:password@`` are left out: a feed's URL often carries its access key
    there, and lineage events go to another system.
    """
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    return dataset(f"{parts.scheme}://{_authority(parts)}", parts.path or "/")


def _authority(parts: Any) -> str:
    """``host[:port]`` of a split URL, without credentials."""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.hostname}{port}"


def operator_lineage(inputs: Iterable[Any | None] = (), outputs: Iterable[Any | None] = ()) -> Any | None:
    """An ``OperatorLineage`` of the datasets given (``None`` ones left out), or ``None`` without OpenLineage."""
    try:
        from airflow.providers.openlineage.extractors import OperatorLineage
    except ImportError:
        return None
    return OperatorLineage(
        inputs=[d for d in inputs if d is not None], outputs=[d for d in outputs if d is not None]
    )


def safely(build: Any, what: str) -> Any | None:
    """``build()``, or ``None`` (logged) if it fails: lineage must never fail a task that succeeded."""
    try:
        return build()
    except Exception as exc:
        log.warning("Could not build the OpenLineage facets of %s: %s", what, exc)
        return None
