"""What the OptiSigns operators and sensors share: templated-argument helpers and argument lists.

Standard library only: DAG files import the operators at every parse.

The arguments of a push are declared once, in :data:`PUSH_TO_SCREENS_ARGUMENTS`: the push and assign
operators take their parameters, their ``template_fields`` and the call to the hook from it.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., None])


def template_list(value: Sequence[str] | str | None) -> list[str]:
    """Template-friendly: a rendered JSON list, a lone string, or a sequence."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return [str(v) for v in json.loads(text)]
        return [text] if text else []
    return [str(v) for v in value]


def json_arg(value: Any, *, field: str) -> Any:
    """A templated argument that may arrive as JSON text; bad JSON names the field."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        from signs_provider.common.errors import SignsConfigError

        raise SignsConfigError(f"{field}: not valid JSON ({exc}); pass a list/dict or JSON text.") from None


@dataclass(frozen=True)
class Argument:
    """One operator argument passed on to the hook.

    :param default: its default (the hook's).
    :param templated: whether it is a template field.
    :param listed: a list of names/ids/tags, which may arrive rendered as JSON text.
    """

    default: Any = None
    templated: bool = True
    listed: bool = False


_CONTENT = {name: Argument() for name in ("asset_id", "playlist_id", "schedule_id")}
_TARGETS = {name: Argument((), listed=True) for name in ("screen_ids", "screen_names", "tags")}

#: The arguments of :meth:`OptiSignsHook.push_to_screens` that the push operator takes (all but ``force``).
PUSH_TO_SCREENS_ARGUMENTS: Mapping[str, Argument] = {
    **_CONTENT,
    **_TARGETS,
    "tag_rules": Argument((), listed=True),
    "mode": Argument("NOW", templated=False),
    "start_at": Argument(),
    "expire_at": Argument(),
    "local_timezone": Argument("UTC", templated=False),
    "takeover_minutes": Argument(templated=False),
}

#: What the assign operator takes: the same content and screens as a push.
ASSIGN_CONTENT_ARGUMENTS: Mapping[str, Argument] = {**_CONTENT, **_TARGETS}


def template_fields(arguments: Mapping[str, Argument], *extra: str) -> tuple[str, ...]:
    return (*(name for name, arg in arguments.items() if arg.templated), *extra)


def takes(arguments: Mapping[str, Argument]) -> Callable[[F], F]:
    """Give an operator's ``__init__(self, **kwargs)`` the keyword parameters ``arguments``.

    Each becomes an attribute (its default when not given). The parameters are part of the
    signature Airflow reads, so ``default_args``, ``partial()`` and ``expand()`` know them.
    """

    def wrap(init: F) -> F:
        @functools.wraps(init)
        def __init__(self: Any, **kwargs: Any) -> None:
            given = {name: kwargs.pop(name, arg.default) for name, arg in arguments.items()}
            init(self, **kwargs)
            for name, value in given.items():
                setattr(self, name, value)

        own = [p for p in inspect.signature(init).parameters.values() if p.kind != p.VAR_KEYWORD]
        added = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=a.default)
            for n, a in arguments.items()
        ]
        __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [*own, *added, inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)]
        )
        return __init__  # type: ignore[return-value]

    return wrap


def call_arguments(operator: Any, arguments: Mapping[str, Argument]) -> dict[str, Any]:
    """The hook's keyword arguments from the operator's (rendered) attributes."""
    return {
        name: template_list(getattr(operator, name)) if arg.listed else getattr(operator, name)
        for name, arg in arguments.items()
    }
