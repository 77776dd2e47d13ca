"""What each name of the OptiSigns schema rests on, and the schema served in normal or pessimistic mode.

``schema.graphql`` carries, on every field, argument, input field, enum value and on every input or enum type,
an ``@evidence(trust: ..., doc: ...)`` directive: the best public document that sent this name to the real API
(the corpus of ``shared/evidence/optisigns-graphql/``, which is not shipped; ``doc`` is its id there) and its
trust level:

- ``official``: OptiSigns' SDK, cookbook or support articles; ``demo``: OptiSigns' demo app; ``live3p``: a third
  party that ran it against a live account. These three are *trusted*.
- ``official-draft``: OptiSigns code that is commented out; ``3p``: other third parties; ``none``: no public
  document uses the name (the emulator has it because the provider, or a guess, needs it).

The directives are stripped before the schema is served, so introspection shows the schema alone.

**Pessimistic mode** serves the schema without every name whose evidence is not trusted, so a client that leans
on a guess meets the refusal it would meet if the guess were wrong. Types are never removed for being weak
(a type nothing uses any more goes; an input type none of whose fields is trusted keeps a single
``_noTrustedField``, so that ``{}`` stays valid and every real key is refused). An enum value removed this way is refused
as input but still *returned* when the emulated account holds it (a screen whose ``currentType`` is ``NONE``
still reads), and an enum none of whose values is trusted (``SCALE_TYPES``) keeps them for output only; the
build checks that no input position can reach such an enum. ``signs-emulator --weak-names`` prints the table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    GraphQLEnumType,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    StringValueNode,
    TypeDefinitionNode,
    build_ast_schema,
    parse,
)

#: The trust levels of the evidence README, best first. The first three are trusted.
TRUST_LEVELS = ("official", "demo", "live3p", "official-draft", "3p", "none")
TRUSTED = frozenset({"official", "demo", "live3p"})
DIRECTIVE = "evidence"
#: The one field pessimistic mode gives an input type none of whose fields is trusted.
PLACEHOLDER = "_noTrustedField"


@dataclass(frozen=True)
class NameEvidence:
    """One name of the schema and what it rests on."""

    name: str  # Type.field, Type.field(arg), ENUM.VALUE or Type
    kind: str  # field, argument, input field, enum value, type
    trust: str
    doc: str | None

    @property
    def trusted(self) -> bool:
        return self.trust in TRUSTED


def schema_sdl() -> str:
    """``schema.graphql`` as shipped (with its ``@evidence`` directives)."""
    return resources.files("signs_emulator.optisigns").joinpath("schema.graphql").read_text("utf-8")


def _directive(node: Any) -> tuple[str, str | None] | None:
    for directive in getattr(node, "directives", None) or ():
        if directive.name.value != DIRECTIVE:
            continue
        args = {a.name.value: a.value for a in directive.arguments}
        trust = args.get("trust")
        doc = args.get("doc")
        if not isinstance(trust, StringValueNode) or trust.value not in TRUST_LEVELS:
            raise ValueError(f"bad @evidence on {node.name.value}: trust must be one of {TRUST_LEVELS}")
        return trust.value, doc.value if isinstance(doc, StringValueNode) else None
    return None


@cache
def evidence_table() -> tuple[NameEvidence, ...]:
    """Every annotated name of the schema with its evidence, in schema order."""
    rows: list[NameEvidence] = []

    def add(name: str, kind: str, node: Any) -> None:
        found = _directive(node)
        if found is None:
            raise ValueError(f"schema.graphql: {kind} {name} has no @evidence directive")
        rows.append(NameEvidence(name, kind, *found))

    for definition in parse(schema_sdl()).definitions:
        if isinstance(definition, ObjectTypeDefinitionNode):
            type_name = definition.name.value
            for field in definition.fields or ():
                add(f"{type_name}.{field.name.value}", "field", field)
                for arg in field.arguments or ():
                    add(f"{type_name}.{field.name.value}({arg.name.value})", "argument", arg)
        elif isinstance(definition, InputObjectTypeDefinitionNode):
            add(definition.name.value, "type", definition)
            for input_field in definition.fields or ():
                add(f"{definition.name.value}.{input_field.name.value}", "input field", input_field)
        elif isinstance(definition, EnumTypeDefinitionNode):
            add(definition.name.value, "type", definition)
            for value in definition.values or ():
                add(f"{definition.name.value}.{value.name.value}", "enum value", value)
    return tuple(rows)


def weak_names() -> list[NameEvidence]:
    """The names pessimistic mode takes away (types are listed but kept: see the module docstring)."""
    return [row for row in evidence_table() if not row.trusted]


# -- building the served schema -----------------------------------------------------------------------------------
def _strip(node: Any) -> Any:
    """``node`` without its ``@evidence`` directive."""
    directives = getattr(node, "directives", None)
    if not directives:
        return node
    return dataclasses.replace(node, directives=tuple(d for d in directives if d.name.value != DIRECTIVE))


def _type_name(node: Any) -> str:
    while isinstance(node, (NonNullTypeNode, ListTypeNode)):
        node = node.type
    assert isinstance(node, NamedTypeNode)
    return str(node.name.value)


def _keep(node: Any, pessimistic: bool) -> bool:
    found = _directive(node)
    return not pessimistic or found is None or found[0] in TRUSTED


def _prune(document: DocumentNode, pessimistic: bool) -> tuple[DocumentNode, dict[str, set[str]]]:
    """Strip the directives; in pessimistic mode drop the weak names, then (to a fixed point) the types left
    empty and the members whose type went. Returns the document and, per enum kept for output only or pruned,
    the values it lost (still serialised on output)."""
    definitions = [d for d in document.definitions if not isinstance(d, DirectiveDefinitionNode)]
    lost_values: dict[str, set[str]] = {}
    output_only: set[str] = set()
    pruned: list[Any] = []
    for definition in definitions:
        if isinstance(definition, ObjectTypeDefinitionNode):
            fields = tuple(
                _strip(
                    dataclasses.replace(
                        f, arguments=tuple(_strip(a) for a in f.arguments or () if _keep(a, pessimistic))
                    )
                )
                for f in definition.fields or ()
                if _keep(f, pessimistic)
            )
            pruned.append(dataclasses.replace(definition, fields=fields))
        elif isinstance(definition, InputObjectTypeDefinitionNode):
            fields = tuple(_strip(f) for f in definition.fields or () if _keep(f, pessimistic))
            if not fields:
                # No field of it is trusted, yet `{}` must stay a valid value of it (schedules(query: {})):
                # one field no client would send keeps the type legal while refusing every weak key.
                fields = parse(f"input X {{ {PLACEHOLDER}: Boolean }}").definitions[0].fields  # type: ignore[attr-defined]
            pruned.append(_strip(dataclasses.replace(definition, fields=fields)))
        elif isinstance(definition, EnumTypeDefinitionNode):
            values = tuple(v for v in definition.values or () if _keep(v, pessimistic))
            lost = {v.name.value for v in definition.values or ()} - {v.name.value for v in values}
            if lost:
                lost_values[definition.name.value] = lost
            if not values:
                # No trusted value: kept whole, for output only (checked below).
                values = tuple(definition.values or ())
                output_only.add(definition.name.value)
            pruned.append(_strip(dataclasses.replace(definition, values=tuple(_strip(v) for v in values))))
        else:
            pruned.append(definition)
    if pessimistic:
        pruned = _drop_dangling(pruned)
        _check_output_only(pruned, output_only)
        used = {
            _type_name(node.type)
            for d in pruned
            if isinstance(d, (ObjectTypeDefinitionNode, InputObjectTypeDefinitionNode))
            for f in d.fields or ()
            for node in (f, *(getattr(f, "arguments", None) or ()))
        }
        pruned = [d for d in pruned if not (d.name.value in output_only and d.name.value not in used)]
    return dataclasses.replace(document, definitions=tuple(pruned)), lost_values


def _drop_dangling(definitions: list[Any]) -> list[Any]:
    """Remove object/input types left without fields and the fields/arguments that use a removed type."""
    while True:
        defined = {d.name.value for d in definitions if isinstance(d, TypeDefinitionNode)}
        builtin = {"String", "Int", "Float", "Boolean", "ID"}
        known = defined | builtin

        def usable(node: InputValueDefinitionNode | FieldDefinitionNode, known: set[str] = known) -> bool:
            return _type_name(node.type) in known

        changed = False
        kept: list[Any] = []
        for d in definitions:
            if isinstance(d, ObjectTypeDefinitionNode):
                fields = tuple(
                    dataclasses.replace(f, arguments=tuple(a for a in f.arguments or () if usable(a)))
                    for f in d.fields or ()
                    if usable(f)
                )
                if not fields:
                    changed = True
                    continue
                changed |= fields != d.fields
                d = dataclasses.replace(d, fields=fields)
            elif isinstance(d, InputObjectTypeDefinitionNode):
                input_fields = tuple(f for f in d.fields or () if usable(f))
                if not input_fields:
                    changed = True
                    continue
                changed |= input_fields != d.fields
                d = dataclasses.replace(d, fields=input_fields)
            kept.append(d)
        definitions = kept
        if not changed:
            return definitions


def _check_output_only(definitions: list[Any], output_only: set[str]) -> None:
    for d in definitions:
        inputs: Iterable[InputValueDefinitionNode] = ()
        if isinstance(d, InputObjectTypeDefinitionNode):
            inputs = d.fields or ()
        elif isinstance(d, ObjectTypeDefinitionNode):
            inputs = [a for f in d.fields or () for a in f.arguments or ()]
        for node in inputs:
            if _type_name(node.type) in output_only:
                raise ValueError(
                    f"schema.graphql: {d.name.value}.{node.name.value} is trusted input of enum "
                    f"{_type_name(node.type)}, none of whose values is trusted"
                )


def _serialize_lost(enum: GraphQLEnumType, lost: set[str]) -> None:
    """Let ``enum`` still return values that pessimistic mode refuses as input."""
    # graphql-core 3.3 calls coerce_output_value (serialize is its deprecated alias); 3.2 calls serialize.
    for method in ("coerce_output_value", "serialize"):
        original: Callable[[Any], Any] | None = getattr(enum, method, None)
        if original is None:
            continue

        def lenient(value: Any, original: Callable[[Any], Any] = original) -> Any:
            if isinstance(value, str) and value in lost:
                return value
            return original(value)

        setattr(enum, method, lenient)


def build_served_schema(*, pessimistic: bool = False) -> GraphQLSchema:
    """The schema the emulator serves (without resolvers): every name, or only trusted ones."""
    document, lost_values = _prune(parse(schema_sdl()), pessimistic)
    schema = build_ast_schema(document)
    for enum_name, lost in lost_values.items():
        enum = schema.get_type(enum_name)
        if pessimistic and isinstance(enum, GraphQLEnumType):
            _serialize_lost(enum, lost - set(enum.values))
    return schema


@cache
def _pessimistic_schema() -> GraphQLSchema:
    return build_served_schema(pessimistic=True)


def pessimistic_fate(row: NameEvidence) -> str:
    """What pessimistic mode does with a weak name."""
    if row.kind == "type":
        return "kept (a type is not removed for its name)"
    if row.kind == "enum value":
        enum = row.name.split(".")[0]
        if all(
            not r.trusted
            for r in evidence_table()
            if r.kind == "enum value" and r.name.startswith(enum + ".")
        ):
            if _pessimistic_schema().get_type(enum) is None:
                return "removed (nothing trusted uses the enum)"
            return "output only (no value of the enum is trusted)"
        return "refused as input, still returned"
    return "removed"


def weak_names_table() -> str:
    """The table ``signs-emulator --weak-names`` prints: what pessimistic mode removes, and why."""
    rows = weak_names()
    width = max(len(r.name) for r in rows)
    lines = [
        "Names of the OptiSigns schema that no trusted public document uses (trusted: official, demo, live3p).",
        "`signs-emulator --pessimistic` serves the schema without them.",
        "",
        f"{'name':<{width}}  {'kind':<11}  {'best evidence':<14}  {'document':<26}  pessimistic mode",
    ]
    lines += [
        f"{r.name:<{width}}  {r.kind:<11}  {r.trust:<14}  {r.doc or '-':<26}  {pessimistic_fate(r)}"
        for r in rows
    ]
    lines += ["", f"{len(rows)} weak names of {len(evidence_table())}."]
    return "\n".join(lines)
