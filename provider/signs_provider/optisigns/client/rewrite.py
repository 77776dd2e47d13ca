"""Repairing the provider's own GraphQL documents when the API refutes a name used on a guess.

A request refused in validation was not executed, so the session (:mod:`.graphql`) may drop an optional
name that the weak-evidence table (:mod:`.evidence`) lists and send the request again. This module reads
which name a refusal names, and rewrites the documents (regular, written in this package: no parser).
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Mapping
from typing import Any

from signs_provider.optisigns.errors import OptiSignsGraphQLError, OptiSignsGuessRefutedError

#: A request refused by the API's GraphQL validation (or variable coercion) was not executed: it is
#: safe to repair and send again, even a mutation. The codes are Apollo Server's, the stack the
#: emulator's evidence points to ([INFERRED]: no public document shows OptiSigns refusing a name).
VALIDATION_CODES = frozenset({"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"})
# graphql-js 16's words for the three refusals of a name (see emulator/README.md).
UNKNOWN_ARGUMENT = re.compile(r'Unknown argument "(\w+)" on field "(\w+)\.(\w+)"')
UNKNOWN_FIELD = re.compile(r'Cannot query field "(\w+)" on type "(\w+)"')
UNKNOWN_INPUT_FIELD = re.compile(r'Field "(\w+)" is not defined by type "(\w+)"')
UNKNOWN_ENUM_VALUE = re.compile(r'Value "(\w+)" does not exist in "(\w+)" enum')
VARIABLE_DECLARATION = re.compile(r"\$(\w+)\s*:\s*\[?(\w+)")


# -- rewriting the hook's own documents (regular, written in this package: no parser needed) -----------


def split_top(text: str) -> builtins.list[str]:
    """``text`` split on the commas outside brackets and strings."""
    parts, depth, start, quoted = [], 0, 0, False
    for i, char in enumerate(text):
        if char == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif quoted:
            continue
        elif char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def rewrite_arguments(document: str, drop: Callable[[str | None, str], bool]) -> str:
    """``document`` without the arguments (and declarations) for which ``drop(field, name)`` is true.

    ``field`` is the field an argument belongs to, ``None`` for the operation's variable declarations
    (whose names keep their ``$``).
    """
    out, pos = [], 0
    for match in re.finditer(r"(\w+)?(\s*)\(", document):
        start = match.end()
        if start <= pos:
            continue
        depth, end = 1, start
        while depth and end < len(document):
            depth += {"(": 1, ")": -1}.get(document[end], 0)
            end += 1
        inner = document[start : end - 1]
        header = inner.lstrip().startswith("$")
        field = None if header else match.group(1)
        kept = [arg for arg in split_top(inner) if not drop(field, arg.split(":", 1)[0].strip())]
        out.append(document[pos : match.start()])
        out.append((match.group(1) or "") + (f"{match.group(2)}({', '.join(kept)})" if kept else ""))
        pos = end
    out.append(document[pos:])
    return "".join(out)


def prune_declarations(document: str) -> str:
    """Drop the declarations of variables the document no longer uses."""
    used = {name for name in re.findall(r"\$(\w+)", document) if document.count(f"${name}") > 1}
    return rewrite_arguments(document, lambda field, name: field is None and name.lstrip("$") not in used)


def drop_selection(document: str, name: str) -> str:
    """``document`` without the selected field ``name`` (and its sub-selection)."""
    pattern = re.compile(rf"(?<![$\w])\s{name}\b(?!\s*[:(])")
    while (match := pattern.search(document)) is not None:
        end = match.end()
        rest = document[end:]
        if rest.lstrip().startswith("{"):
            end += len(rest) - len(rest.lstrip())
            depth = 0
            while True:
                depth += {"{": 1, "}": -1}.get(document[end], 0)
                end += 1
                if depth == 0:
                    break
        document = document[: match.start()] + document[end:]
    return document


def declared_variables(document: str) -> dict[str, str]:
    """``{variable: input type}`` of the operation's declarations (lists by their item type)."""
    header = document.split("{", 1)[0]
    return dict(VARIABLE_DECLARATION.findall(header))


def refuted_name(message: str) -> tuple[str | None, str]:
    """The name a validation message refutes, as the weak-evidence table writes it, and its kind."""
    if match := UNKNOWN_ARGUMENT.search(message):
        return f"{match.group(2)}.{match.group(3)}({match.group(1)})", "argument"
    if match := UNKNOWN_FIELD.search(message):
        return f"{match.group(2)}.{match.group(1)}", "field"
    if match := UNKNOWN_INPUT_FIELD.search(message):
        return f"{match.group(2)}.{match.group(1)}", "input field"
    if match := UNKNOWN_ENUM_VALUE.search(message):
        return f"{match.group(2)}.{match.group(1)}", "enum value"
    return None, ""


def refuted(exc: OptiSignsGraphQLError, name: str, advice: str) -> OptiSignsGuessRefutedError:
    error = OptiSignsGuessRefutedError(
        f"OptiSigns refused {name}, a name the provider used on a guess ({exc.api_message}). "
        f"Nothing was applied (the request failed validation). {advice}",
        api_message=exc.api_message or "",
        code=exc.code,
        path=exc.path,
        status=exc.status,
        errors=exc.errors,
    )
    error.refuted = name
    return error


def filtered(nodes: builtins.list[Any], filters: Mapping[str, Any]) -> builtins.list[Any]:
    """``nodes`` filtered on the client as the API filters (tags: any of them; others: equal).

    Used for the filter keys the API refuted; the whole list was read instead. [INFERRED] the
    matching rule (the emulator's).
    """
    if not filters:
        return nodes

    def keep(node: Any) -> bool:
        for key, value in filters.items():
            if key == "tags":
                if not set(value) & set(node.get("tags") or []):
                    return False
            elif node.get(key) != value:
                return False
        return True

    return [node for node in nodes if keep(node)]


def argument_of(field: str, names: tuple[str, ...]) -> Callable[[str | None, str], bool]:
    """A predicate for :func:`rewrite_arguments`: the arguments ``names`` of ``field``."""
    return lambda f, n: f == field and n in names
