"""The read-only HTML page of the emulator's state (``GET /``).

Each screen shows what it displays now: the picture itself for an image, the page in an iframe (plus its
link) for a website, the item list for a playlist, and the active item for a schedule. Then assets,
playlists, schedules and, per OpenSign environment, documents with each signer's progress.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from string import Template
from typing import Any


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _tags(tags: list[str] | None) -> str:
    return "".join(f'<span class="tag">{_e(t)}</span>' for t in tags or [])


def _asset_display(asset: dict[str, Any] | None) -> str:
    if not asset:
        return '<span class="muted">nothing</span>'
    if asset.get("missing"):
        return f'<span class="muted">asset {_e(asset.get("_id"))} no longer exists</span>'
    kind, url, name = asset.get("kind"), asset.get("url"), asset.get("name")
    if asset.get("status") not in (None, "done"):
        return f"<span>{_e(name)} ({_e(asset.get('status'))}…)</span>"
    if kind == "image" and url:
        return f'<img src="{_e(url)}" alt="{_e(name)}">'
    if kind == "video" and url:
        return f'<video src="{_e(url)}" muted autoplay loop></video>'
    if kind == "web" and url:
        return f'<iframe src="{_e(url)}" title="{_e(name)}" sandbox></iframe>'
    if url:
        return f'<a href="{_e(url)}">{_e(name)}</a>'
    return _e(name)


def _asset_line(asset: dict[str, Any]) -> str:
    url, name = asset.get("url"), asset.get("name") or asset.get("_id")
    label = f'<a href="{_e(url)}">{_e(name)}</a>' if url else _e(name)
    thumb = f'<img class="thumb" src="{_e(url)}" alt=""> ' if asset.get("kind") == "image" and url else ""
    duration = f' <span class="muted">{_e(asset.get("duration"))} s</span>' if asset.get("duration") else ""
    return f"{thumb}{label} <span class='muted'>({_e(asset.get('kind'))})</span>{duration}"


def _showing(showing: dict[str, Any]) -> tuple[str, str, str]:
    """(caption, display HTML, detail HTML) for what a screen shows."""
    kind = showing.get("type")
    if kind == "ASSET":
        asset = showing.get("asset") or {}
        link = f' <a href="{_e(asset["url"])}">{_e(asset["url"])}</a>' if asset.get("kind") == "web" else ""
        return f"Asset: {_e(asset.get('name'))}{link}", _asset_display(asset), ""
    if kind == "PLAYLIST":
        playlist = showing.get("playlist") or {}
        items = playlist.get("items") or []
        caption = f"Playlist: {_e(playlist.get('name'))} ({len(items)} items)"
        listing = "<ol>" + "".join(f"<li>{_asset_line(i)}</li>" for i in items) + "</ol>"
        # The display shows the first item, as the screen does when the loop starts.
        display = _asset_display(items[0]) if items else '<span class="muted">empty playlist</span>'
        return caption, display, listing
    if kind == "SCHEDULE":
        schedule = showing.get("schedule") or {}
        playing = showing.get("playing")
        caption = f"Schedule: {_e(schedule.get('name'))}"
        if not playing:
            return caption + " — nothing scheduled now", '<span class="muted">black screen</span>', ""
        inner_caption, inner, detail = _showing(playing)
        return f"{caption} — now {inner_caption}", inner, detail
    return "Nothing assigned", '<span class="muted">no content</span>', ""


def _screen(screen: dict[str, Any]) -> str:
    online = screen.get("status") == "ONLINE"
    state = '<span class="online">online</span>' if online else '<span class="offline">offline</span>'
    caption, display, detail = _showing(screen.get("showing") or {})
    extra = ""
    if screen.get("temporarily"):
        extra += f'<div class="muted">Temporary takeover until {_e(screen["temporarily"].get("until"))}</div>'
    for push in screen.get("scheduleGoLive") or []:
        extra += (
            f'<div class="muted">Scheduled change at {_e(push.get("scheduleTime"))}'
            f"{' until ' + _e(push.get('expireScheduleTime')) if push.get('expireScheduleTime') else ''}"
            f" → {_e(push.get('currentType'))}</div>"
        )
    return (
        f'<div class="screen"><h3>{_e(screen.get("deviceName"))}</h3>'
        f"<div>{state} · {_e(screen.get('path'))} · {_tags(screen.get('tags'))}</div>"
        f'<div class="muted">last heartbeat {_e(screen.get("lastHeartBeat"))} · id {_e(screen.get("_id"))}</div>'
        f'<div class="display">{display}</div><div>{caption}</div>{detail}{extra}</div>'
    )


def _optisigns(state: dict[str, Any]) -> str:
    parts = ["<h2>OptiSigns screens</h2>"]
    screens = state.get("screens") or []
    by_folder: dict[str, list[dict[str, Any]]] = {}
    for screen in screens:
        by_folder.setdefault(screen.get("path") or "/", []).append(screen)
    for folder in sorted(by_folder):
        parts.append(f"<h3>{_e(folder)}</h3><div class='screens'>")
        parts.extend(_screen(s) for s in by_folder[folder])
        parts.append("</div>")
    if state.get("pending_pairing_codes"):
        codes = ", ".join(_e(c) for c in state["pending_pairing_codes"])
        parts.append(f"<p>Screens waiting to be paired: {codes}</p>")
    parts.append(
        "<h2>Assets</h2><table><tr><th>Name</th><th>Type</th><th>Status</th><th>Tags</th><th>Id</th></tr>"
    )
    for asset in state.get("assets") or []:
        link = asset.get("thumbnail") or asset.get("webLink")
        name = _e(asset.get("originalFileName") or asset.get("name"))
        if link:
            name = f'<a href="{_e(link)}">{name}</a>'
        if asset.get("fileType") == "image" and asset.get("thumbnail"):
            name = f'<img class="thumb" src="{_e(asset["thumbnail"])}" alt=""> ' + name
        parts.append(
            f"<tr><td>{name}</td><td>{_e(asset.get('fileType'))}</td><td>{_e(asset.get('status'))}</td>"
            f"<td>{_tags(asset.get('tags'))}</td><td>{_e(asset.get('_id'))}</td></tr>"
        )
    parts.append("</table><h2>Playlists</h2>")
    for playlist in state.get("playlists") or []:
        items = "".join(
            f"<li>{_e(i.get('filename') or i.get('_id'))} <span class='muted'>({_e(i.get('fileType'))}, "
            f"{_e(i.get('duration'))} s)</span></li>"
            for i in playlist.get("assets") or []
        )
        parts.append(
            f"<h3>{_e(playlist.get('name'))} <span class='muted'>{_e(playlist.get('_id'))}</span></h3>"
            f"<div>{_tags(playlist.get('tags'))} total {_e(playlist.get('totalDuration'))} s</div><ol>{items}</ol>"
        )
    parts.append("<h2>Schedules</h2>")
    for schedule in state.get("schedules") or []:
        items = "".join(
            f"<li>{_e(i.get('name'))}: {_e(i.get('type'))} {_e(i.get('playlistId') or i.get('assetId'))}, "
            f"{_e((i.get('range') or {}).get('startDate'))} → {_e((i.get('range') or {}).get('endDate'))} "
            f"<span class='muted'>{_e((i.get('repeatObject') or {}).get('rrule'))}</span></li>"
            for i in schedule.get("items") or []
        )
        parts.append(f"<h3>{_e(schedule.get('name'))}</h3><ul>{items}</ul>")
    return "".join(parts)


def _opensign(state: dict[str, Any] | None) -> str:
    if not state:
        return "<h2>OpenSign</h2><p class='muted'>The OpenSign emulator is not loaded.</p>"
    parts = ["<h2>OpenSign documents</h2>"]
    for env, data in (state.get("environments") or {}).items():
        credits = data.get("credits") or {}
        parts.append(
            f"<h3>{_e(env)}</h3><div class='muted'>credits: {_e(credits.get('total_credits'))} · "
            f"webhook: {_e((data.get('webhook') or {}).get('url') or 'none')}</div>"
        )
        documents = data.get("documents") or []
        if not documents:
            parts.append("<p class='muted'>No documents.</p>")
            continue
        parts.append("<table><tr><th>Document</th><th>Status</th><th>Signers</th><th>Updated</th></tr>")
        for doc in documents:
            signers = "<br>".join(
                f"{_e(s.get('name'))} &lt;{_e(s.get('email'))}&gt;: <b>{_e(s.get('state') or s.get('status'))}</b>"
                for s in doc.get("signers") or []
            )
            parts.append(
                f"<tr><td>{_e(doc.get('name'))}<br><span class='muted'>{_e(doc.get('id'))}</span></td>"
                f"<td>{_e(doc.get('status'))}</td><td>{signers}</td><td>{_e(doc.get('updated_at'))}</td></tr>"
            )
        parts.append("</table>")
    return "".join(parts)


def render_page(snapshot: dict[str, Any], *, refresh_seconds: int | None = None) -> str:
    """The whole HTML page for a ``runtime.snapshot()``."""
    template = Template(resources.files("signs_emulator").joinpath("templates/page.html").read_text("utf-8"))
    refresh = f'<meta http-equiv="refresh" content="{int(refresh_seconds)}">' if refresh_seconds else ""
    body = _optisigns(snapshot.get("optisigns") or {}) + _opensign(snapshot.get("opensign"))
    return template.substitute(refresh=refresh, now=_e(snapshot.get("now")), body=body)
