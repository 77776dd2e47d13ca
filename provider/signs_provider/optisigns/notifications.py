"""Screens as an alerting channel: :class:`OptiSignsNotifier`, for DAG and task callbacks.

On a callback it draws a slide (what failed, when, the run's link), uploads it, and shows it on the
screens of a tag as a takeover that reverts by itself after ``minutes``, or at the front of a
playlist. A notifier must never make a callback fail: every error is logged, never raised.

Example::

    from signs_provider.optisigns.notifications import OptiSignsNotifier

    @dag(default_args={"on_failure_callback": OptiSignsNotifier(tags=["ops"], minutes=15)})
    def my_dag(): ...

The slide is a 1920x1080 PNG drawn here with the standard library only (zlib) and a built-in 5x7
pixel font, so that the provider needs no imaging library: plain ASCII, other characters folded to
their closest ASCII letter or shown as ``?``. PNG is an image type OptiSigns plays (support article
"What types of files are supported"); an upload goes through the evidenced path (the cookbook's
``getFileUploadOptions`` then ``saveAsset``).

Imports stay light at module level: DAG files import the notifier at every parse.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import struct
import textwrap
import unicodedata
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from airflow.sdk import BaseNotifier

from signs_provider.common.errors import SignsConfigError
from signs_provider.optisigns import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Context

    from signs_provider.common.transport import RetryPolicy
    from signs_provider.optisigns.hooks import OptiSignsHook

# A module logger, as elsewhere in the provider: in a task it lands in the task's log.
log = logging.getLogger(__name__)

#: The tag every alert slide carries (besides the provider's own tag), so that they can be found and
#: cleaned up: ``hook.cleanup_assets(older_than=timedelta(days=7), tags=[ALERT_TAG])``.
ALERT_TAG = "airflow-alert"
SLIDE_SIZE = (1920, 1080)
#: Attempts and time budget of each request from a callback (a callback should not hang for minutes).
_NOTIFIER_RETRIES = (3, 30.0)

Fallback = Literal["assign", "none"]
T = TypeVar("T")


class OptiSignsNotifier(BaseNotifier):
    """Show an alert slide on OptiSigns screens from a DAG or task callback.

    The slide says what failed (DAG, task, run, try, the error), when, and gives the link to the
    run's log. It goes to the screens named by ``tags``/``screen_names``/``screen_ids`` as a
    temporary takeover (``pushToScreens`` with ``TEMPORARILY``) that reverts by itself after
    ``minutes``, and/or to the front of ``playlist``.

    Nothing it does can fail the callback: a bad setting known only after rendering, an API error,
    an unknown tag are logged as errors and the callback returns.

    :param tags: the screens carrying any of these tags (e.g. ``["ops"]``). Templated.
    :param screen_names: screens by name. Templated.
    :param screen_ids: screens by id. Templated.
    :param playlist: the name of a playlist (created if missing) to put the slide in, first, for
        the screens that play it. The alert slides it holds that are older than ``minutes`` are
        taken out at the next alert; nothing removes the last one by itself. Templated.
    :param title: the slide's headline; default ``"<dag_id> FAILED"`` (the state of the task or run).
        Templated.
    :param message: the slide's text; default: the DAG, task, run, try, time and error. Templated.
    :param link: the URL printed at the bottom; default the task's log (``ti.log_url``) or the run's
        page. Templated.
    :param minutes: how long a takeover lasts, and how long a playlist keeps an alert slide.
    :param slide_seconds: how long the slide plays in its turn in the playlist.
    :param fallback: what to do where the API refuses ``pushToScreens`` (it rests on a draft of
        OptiSigns' SDK, see :mod:`~signs_provider.optisigns.client.evidence`): ``"assign"`` sets the
        slide as the screens' own content with the documented ``updateDevice`` (it then stays until
        someone changes it: meant for a screen kept for alerts), ``"none"`` only logs.
    :param ready_timeout: seconds to wait for OptiSigns to convert the uploaded slide before showing
        it anyway.
    :param optisigns_conn_id: the Airflow connection.
    :param timeout: seconds per request (default: the connection's).
    :param retry_policy: how reads are retried (default: 3 attempts within 30 s).
    :param landing_wait: how long a write whose answer was lost may still land (default: the hook's).
    """

    template_fields: Sequence[str] = (
        "tags",
        "screen_names",
        "screen_ids",
        "playlist",
        "title",
        "message",
        "link",
    )

    def __init__(
        self,
        *,
        tags: Sequence[str] | str = (),
        screen_names: Sequence[str] | str = (),
        screen_ids: Sequence[str] | str = (),
        playlist: str | None = None,
        title: str | None = None,
        message: str | None = None,
        link: str | None = None,
        minutes: float = 15.0,
        slide_seconds: float = 20.0,
        fallback: Fallback = "assign",
        ready_timeout: float = 60.0,
        optisigns_conn_id: str = DEFAULT_CONN_ID,
        timeout: float | None = None,
        retry_policy: RetryPolicy | None = None,
        landing_wait: float | None = None,
    ) -> None:
        super().__init__()
        if not (tags or screen_names or screen_ids or playlist):
            raise SignsConfigError(
                "OptiSignsNotifier: no destination. Pass tags=['ops'] (or screen_names/screen_ids) for a "
                "takeover of those screens, or playlist='Alerts' to put the slide in a playlist."
            )
        self.minutes = _positive(minutes, field="minutes")
        self.slide_seconds = _positive(slide_seconds, field="slide_seconds")
        self.ready_timeout = max(0.0, float(ready_timeout))
        if fallback not in ("assign", "none"):
            raise SignsConfigError(f"fallback: {fallback!r} is not 'assign' or 'none'.")
        self.fallback = fallback
        self.tags = tags
        self.screen_names = screen_names
        self.screen_ids = screen_ids
        self.playlist = playlist
        self.title = title
        self.message = message
        self.link = link
        self.optisigns_conn_id = optisigns_conn_id
        self.timeout = timeout
        self.retry_policy = retry_policy
        self.landing_wait = landing_wait

    # -- Airflow's entry points ---------------------------------------------------------------------

    def __call__(self, *args: Any) -> None:
        """Render and send on a copy (templates render in place; one instance may serve many tasks)."""
        try:
            copy.copy(self)._call(*args)
        except Exception as exc:  # rendering a template failed: log, never fail the callback
            log.error("OptiSigns notification not sent (the callback goes on): %s", _safe(exc))

    def _call(self, *args: Any) -> None:
        super().__call__(*args)

    async def async_notify(self, context: Context) -> None:
        """For notifiers awaited in the triggerer (deadline alerts): :meth:`notify` in a thread.

        [INFERRED] that the hook's synchronous connection lookup works from a worker thread of the
        triggerer; it is exercised in-process only.
        """
        await asyncio.to_thread(self.notify, context)

    def notify(self, context: Context) -> None:
        """Draw the slide and show it; log, never raise."""
        hook: OptiSignsHook | None = None
        try:
            hook = self._hook()
            # Reading the connection registers the key with the masker before any text is drawn.
            secret = hook.secret
            slide = build_slide(
                context, title=self.title, message=self.message, link=self.link, secret=secret
            )
            log.info("OptiSigns alert slide: %s", slide.title)
            self.show(hook, slide)
        except Exception as exc:
            log.error("OptiSigns notification failed (the callback goes on): %s", _safe(exc))
        finally:
            if hook is not None:
                hook.close()

    # -- what it does ------------------------------------------------------------------------------

    def _hook(self) -> OptiSignsHook:
        from signs_provider.common.transport import RetryPolicy
        from signs_provider.optisigns.hooks import OptiSignsHook

        attempts, budget = _NOTIFIER_RETRIES
        return OptiSignsHook(
            optisigns_conn_id=self.optisigns_conn_id,
            timeout=self.timeout,
            retry_policy=self.retry_policy or RetryPolicy(max_attempts=attempts, max_elapsed=budget),
            landing_wait=self.landing_wait,
        )

    def show(self, hook: OptiSignsHook, slide: Slide) -> dict[str, Any]:
        """Upload the slide and put it on the screens and/or the playlist; a summary (for tests and logs).

        Each destination is tried even when another one failed; the failures are logged.
        """
        from signs_provider.optisigns._arguments import template_list

        tags, names, ids = (template_list(v) for v in (self.tags, self.screen_names, self.screen_ids))
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        png = render_png(slide)
        asset = _again(
            "uploading the alert slide",
            lambda: hook.upload_file(
                png,
                filename=f"airflow-alert-{stamp}.png",
                name=_asset_name(slide.title, stamp),
                tags=[ALERT_TAG],
            ),
        )
        asset_id = asset["_id"]
        self._wait_ready(hook, asset_id)
        summary: dict[str, Any] = {"asset_id": asset_id}
        if tags or names or ids:
            try:
                summary["screens"] = _again(
                    "the takeover", lambda: self._take_over(hook, asset_id, tags=tags, names=names, ids=ids)
                )
            except Exception as exc:
                log.error("OptiSigns alert: the screens were not taken over: %s", _safe(exc))
        if self.playlist:
            try:
                summary["playlist"] = _again(
                    "the playlist", lambda: self._into_playlist(hook, asset, str(self.playlist))
                )
            except Exception as exc:
                log.error("OptiSigns alert: playlist %r not updated: %s", self.playlist, _safe(exc))
        return summary

    def _wait_ready(self, hook: OptiSignsHook, asset_id: str) -> None:
        from signs_provider.optisigns.errors import OptiSignsTimeoutError

        if not self.ready_timeout:
            return
        try:
            hook.wait_for_asset_ready(asset_id, timeout=self.ready_timeout, poll_interval=1.0)
        except OptiSignsTimeoutError:
            # [INFERRED] a screen shows an asset once its conversion ends: better late than never.
            log.warning(
                "OptiSigns alert slide %s still converting after %.0fs; showing it anyway.",
                asset_id,
                self.ready_timeout,
            )

    def _take_over(
        self, hook: OptiSignsHook, asset_id: str, *, tags: list[str], names: list[str], ids: list[str]
    ) -> dict[str, Any]:
        from signs_provider.optisigns.errors import OptiSignsGuessRefutedError

        try:
            # Sent once: a lost answer is settled by reading the screens' takeover (see Delivery.push).
            pushed = hook.push_to_screens(
                asset_id=asset_id,
                tags=tags,
                screen_names=names,
                screen_ids=ids,
                mode="TEMPORARILY",
                takeover_minutes=self.minutes,
            )
        except OptiSignsGuessRefutedError as exc:
            if self.fallback == "none":
                log.error(
                    "OptiSigns alert: this API refuses pushToScreens (%s); fallback='none', so the slide "
                    "(asset %s) is not on the screens.",
                    _safe(exc),
                    asset_id,
                )
                return {"how": "none", "screen_ids": []}
            assigned = hook.client.delivery.assign(
                tags=tags, screen_names=names, screen_ids=ids, asset_id=asset_id
            )
            log.warning(
                "OptiSigns alert: this API refuses pushToScreens, so the slide was set as the content of "
                "%d screen(s) with updateDevice: it stays there until the screens are given other content "
                "(it does not revert by itself).",
                len(assigned["screen_ids"]),
            )
            return {"how": "assign", "screen_ids": assigned["screen_ids"]}
        log.info(
            "OptiSigns alert slide %s on %d screen(s) for %g minute(s).",
            asset_id,
            len(pushed["screen_ids"]),
            self.minutes,
        )
        return {"how": "takeover", "screen_ids": pushed["screen_ids"]}

    def _into_playlist(self, hook: OptiSignsHook, asset: Mapping[str, Any], name: str) -> dict[str, Any]:
        """Put the slide first in the playlist; take out the alert slides older than ``minutes``."""
        playlist = hook.upsert_playlist(name, tags=[ALERT_TAG])
        playlist_id = playlist["_id"]
        hook.add_playlist_items(playlist_id, [asset["_id"]], position=0, duration=self.slide_seconds)
        # Ages are measured on the API's clock: the new slide's createdAt is "now" there.
        now = _parse(asset.get("createdAt"))
        stale = set()
        if now is not None:
            for other in hook.list_assets(tags=[ALERT_TAG]):
                created = _parse(other.get("createdAt"))
                if (
                    other.get("_id") != asset["_id"]
                    and created
                    and (now - created).total_seconds() > self.minutes * 60
                ):
                    stale.add(other["_id"])
        current = hook.get_playlist(playlist_id).get("assets") or []
        positions = [i for i, item in enumerate(current) if item.get("_id") in stale]
        if positions:
            hook.remove_playlist_items(playlist_id, positions)
        return {"playlist_id": playlist_id, "removed": len(positions)}


#: The name Airflow's provider conventions give a notifier's shortcut (like ``send_slack_notification``).
send_optisigns_notification = OptiSignsNotifier


# -- the slide's text --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slide:
    """What the slide says: a headline, lines of text, and a link at the bottom."""

    title: str
    lines: list[str] = field(default_factory=list)
    link: str = ""


def build_slide(
    context: Mapping[str, Any],
    *,
    title: str | None = None,
    message: str | None = None,
    link: str | None = None,
    secret: str = "",
) -> Slide:
    """The slide's text from a callback's context; every secret Airflow knows is masked, ``secret`` too."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag_id = _first(getattr(ti, "dag_id", None), getattr(dag_run, "dag_id", None), _dag_id(context))
    state = _first(getattr(ti, "state", None), getattr(dag_run, "state", None), "failed")
    if title is None:
        title = f"{dag_id or 'Airflow'} {str(getattr(state, 'value', state)).upper()}"
    if message is None:
        message = "\n".join(_default_lines(context, ti, dag_run, dag_id))
    if link is None:
        link = _link(ti, dag_run, dag_id)

    def clean(text: Any) -> str:
        shown = _mask(str(text or ""))
        return shown.replace(secret, "***") if secret else shown

    return Slide(title=clean(title), lines=clean(message).splitlines(), link=clean(link))


def _default_lines(context: Mapping[str, Any], ti: Any, dag_run: Any, dag_id: str | None) -> list[str]:
    when = _first(getattr(ti, "end_date", None), getattr(dag_run, "end_date", None)) or datetime.now(
        timezone.utc
    )
    lines = [f"DAG:  {dag_id or '?'}"]
    task_id = getattr(ti, "task_id", None)
    if task_id:
        map_index = getattr(ti, "map_index", -1)
        lines.append(
            f"Task: {task_id}" + (f" [{map_index}]" if isinstance(map_index, int) and map_index >= 0 else "")
        )
    run_id = _first(getattr(ti, "run_id", None), getattr(dag_run, "run_id", None))
    if run_id:
        lines.append(f"Run:  {run_id}")
    try_number = getattr(ti, "try_number", None)
    if try_number:
        lines.append(f"Try:  {try_number}")
    lines.append(f"When: {_when(when)}")
    error = context.get("exception") or context.get("reason")
    if error:
        text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
        lines += ["", text]
    return lines


def _link(ti: Any, dag_run: Any, dag_id: str | None) -> str:
    try:
        url = getattr(ti, "log_url", None)
        if url:
            return str(url)
    except Exception:  # a TI without a run id or configuration: fall back to the run's page
        pass
    run_id = getattr(dag_run, "run_id", None) or getattr(ti, "run_id", None)
    if not (dag_id and run_id):
        return ""
    from urllib.parse import quote

    from airflow.sdk import conf

    base = conf.get("api", "base_url", fallback="http://localhost:8080/")
    return f"{base.rstrip('/')}/dags/{dag_id}/runs/{quote(str(run_id))}"


def _dag_id(context: Mapping[str, Any]) -> str | None:
    dag = context.get("dag")
    return getattr(dag, "dag_id", None)


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "")), None)


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def _mask(text: str) -> str:
    """``text`` with every secret registered with Airflow's masker replaced by ``***``."""
    try:
        from airflow.sdk.log import redact  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - older task SDKs
        try:
            from airflow.sdk.execution_time.secrets_masker import redact  # type: ignore[no-redef]
        except ImportError:
            return text
    return str(redact(text))


def _again(what: str, action: Callable[[], T]) -> T:
    """``action()``, tried once more after a failure that may be passing (5xx, 429, lost or unreadable answer).

    Unlike a task's writes, an alert may be sent twice: a second slide asset (tagged
    :data:`ALERT_TAG`, cleaned up with the others) or a takeover whose timer starts again is harmless;
    a lost alert is not. By then the hook has already settled the first try (its landing wait).
    Settings, refusals and unknown screens are not tried again.
    """
    try:
        return action()
    except Exception as exc:
        if not _passing(exc):
            raise
        log.warning("OptiSigns alert: %s failed (%s); trying once more.", what, _safe(exc))
    return action()


def _passing(exc: BaseException) -> bool:
    from signs_provider.common.errors import SignsApiError, SignsTransportError
    from signs_provider.optisigns.errors import OptiSignsAuthError, OptiSignsGraphQLError

    if isinstance(exc, SignsTransportError):  # AmbiguousWriteError included: not found after the wait
        return True
    if isinstance(exc, OptiSignsAuthError) or not isinstance(exc, SignsApiError):
        return False
    if getattr(exc, "unreadable", False):  # a cut or non-JSON answer
        return True
    if exc.status is None:
        # A GraphQL error without a status is a refusal (validation, scope); a bare API error
        # without one is an answer that could not be read.
        return not isinstance(exc, OptiSignsGraphQLError)
    return exc.status == 429 or exc.status >= 500


def _safe(exc: BaseException) -> str:
    return _mask(f"{type(exc).__name__}: {exc}")


def _positive(value: Any, *, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0.0
    if not number > 0:
        raise SignsConfigError(f"{field}: must be a positive number, got {value!r}.")
    return number


def _parse(value: Any) -> datetime | None:
    from signs_provider.common.times import parse_api_time

    return parse_api_time(value)


def _asset_name(title: str, stamp: str) -> str:
    return f"Airflow alert {stamp} {ascii_text(title)}"[:200].strip() + ".png"


# -- the slide's pixels ------------------------------------------------------------------------------

# A 5x7 pixel font for ASCII 32..126: seven rows per character, each row one base-32 digit (5 bits,
# the leftmost pixel highest). Drawn for this provider.
_FONT = (
    "00000004444404AAA0000AAVAVAA4FKE5U4OP248J3CIK8LIDC4800002488842842224804LEL40044V440"
    "0000C48000V00000000CC01248G0EHJLPHE4C4444EEH1248VV2421HE26AIV22VGU11HE68GUHHEV124888"
    "EHHEHHEEHHF12C0CC0CC00CC0C48248G84200V0V008421248EH12404EH1DLLEEHHHVHHUHHUHHUEHGGGHE"
    "SIHHHISVGGUGGVVGGUGGGEHGNHHFHHHVHHHE44444E72222ICHIKOKIHGGGGGGVHRLLHHHHHPLJHHEHHHHHE"
    "UHHUGGGEHHHLIDUHHUKIHFGGE11UV444444HHHHHHEHHHHHA4HHHLLLAHHA4AHHHHHA444V1248GVE88888E"
    "0G84210E22222E4AH0000000000V842000000E1FHFGGMPHHU00EGGHE11DJHHF00EHVGE698S8880FHHF1E"
    "GGMPHHH40C444E20622ICGGIKOKIC44444E00QLLHH00MPHHH00EHHHE00UHUGG00DJF1100MPGGG00EGE1U"
    "88S889600HHHJD00HHHA400HHLLA00HA4AH00HHF1E00V248V244844244444448442448008L200"
)
_GLYPH_W, _GLYPH_H = 5, 7
# Palette: background, banner, white, light grey, dim grey.
_PALETTE = ((24, 26, 33), (176, 32, 38), (255, 255, 255), (214, 218, 226), (150, 156, 168))
_BG, _BANNER, _WHITE, _LIGHT, _DIM = range(5)
_MARGIN = 80
_PUNCTUATION = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
    }
)


def ascii_text(text: str) -> str:
    """``text`` in the font's characters: accents dropped (``é`` -> ``e``), others ``?``, tabs as spaces."""
    out = []
    for ch in text.replace("\t", "    ").translate(_PUNCTUATION):
        if " " <= ch <= "~":
            out.append(ch)
            continue
        folded = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
        out.append(
            "".join(c for c in folded if " " <= c <= "~") or ("" if unicodedata.category(ch) == "Mn" else "?")
        )
    return "".join(out)


class _Canvas:
    """Rows of palette indices, and the glyphs drawn into them."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [bytearray(width) for _ in range(height)]

    def fill(self, x0: int, y0: int, x1: int, y1: int, colour: int) -> None:
        run = bytes([colour]) * (x1 - x0)
        for y in range(max(0, y0), min(self.height, y1)):
            self.rows[y][x0:x1] = run

    def text(self, x: int, y: int, text: str, *, scale: int, colour: int) -> None:
        block = bytes([colour]) * scale
        for ch in text:
            code = ord(ch) - 32
            if 0 <= code < 95 and x + _GLYPH_W * scale <= self.width:
                for r in range(_GLYPH_H):
                    bits = int(_FONT[code * _GLYPH_H + r], 32)
                    for c in range(_GLYPH_W):
                        if bits & (1 << (_GLYPH_W - 1 - c)):
                            left = x + c * scale
                            for dy in range(scale):
                                row = y + r * scale + dy
                                if 0 <= row < self.height:
                                    self.rows[row][left : left + scale] = block
            x += (_GLYPH_W + 1) * scale

    def png(self) -> bytes:
        """The canvas as an 8-bit palette PNG (filter 0 on every row)."""
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 3, 0, 0, 0)
        palette = b"".join(bytes(c) for c in _PALETTE)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"PLTE", palette)
            + chunk(b"IDAT", zlib.compress(raw, 6))
            + chunk(b"IEND", b"")
        )


def _wrap(text: str, scale: int, width: int) -> list[str]:
    columns = max(1, (width - 2 * _MARGIN) // ((_GLYPH_W + 1) * scale))
    return textwrap.wrap(ascii_text(text), columns, break_long_words=True, break_on_hyphens=False) or [""]


def render_png(slide: Slide, size: tuple[int, int] = SLIDE_SIZE) -> bytes:
    """The slide as a PNG: the headline on a red banner, the text below, the link at the bottom.

    Text that does not fit is cut, with ``...`` as its last line.
    """
    width, height = size
    canvas = _Canvas(width, height)
    title_scale, body_scale, link_scale = 9, 5, 3
    title = _wrap(slide.title, title_scale, width)[:2]
    banner = 60 + len(title) * (_GLYPH_H + 4) * title_scale
    canvas.fill(0, 0, width, banner, _BANNER)
    for i, line in enumerate(title):
        canvas.text(_MARGIN, 40 + i * (_GLYPH_H + 4) * title_scale, line, scale=title_scale, colour=_WHITE)
    link = _wrap(slide.link, link_scale, width)[:3] if slide.link else []
    link_top = height - 40 - len(link) * (_GLYPH_H + 5) * link_scale
    for i, line in enumerate(link):
        canvas.text(_MARGIN, link_top + i * (_GLYPH_H + 5) * link_scale, line, scale=link_scale, colour=_DIM)
    step = (_GLYPH_H + 3) * body_scale
    room = max(0, (link_top - 30 - (banner + 50)) // step)
    body = [w for line in slide.lines for w in (_wrap(line, body_scale, width) if line.strip() else [""])]
    if len(body) > room:
        body = [*body[: max(0, room - 1)], "..."]
    for i, line in enumerate(body):
        canvas.text(_MARGIN, banner + 50 + i * step, line, scale=body_scale, colour=_LIGHT)
    return canvas.png()
