"""Read the OptiSigns GraphQL evidence corpus (``../shared/evidence/optisigns-graphql/``) and work out, for every
name of a schema, the best source that uses it.

A name is one of (the keys of :func:`name_evidence`):

- ``Type.field`` for a field selected on an object type (root fields are ``Query.x``, ``Mutation.x``,
  ``Subscription.x``), and for an input field (``AssetInput.webLink``), written as a literal or present in a
  variable value the source sends;
- ``Type.field(arg)`` for an argument;
- ``ENUM.VALUE`` for an enum value, as a literal or in a variable value;
- ``Type`` for a type named in a variable declaration (``$p: PlaylistInput!``).

Only variable values of kind ``source`` count (``filled`` ones are templates we completed: not evidence of the
key set, says the evidence README). Nothing here is shipped: the emulator carries the result as ``@evidence``
directives in ``schema.graphql``; this module is how the tests (and whoever regenerates the annotations) read
the corpus. Run ``python emulator/tests/evidence_corpus.py --write`` to rewrite the annotations.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    EnumValueNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLSchema,
    ObjectFieldNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    get_nullable_type,
    is_enum_type,
    is_input_object_type,
    parse,
    type_from_ast,
    visit,
)
from graphql.language import ArgumentNode, DocumentNode

REPO = Path(__file__).resolve().parents[2]
EVIDENCE = REPO.parent / "shared" / "evidence"
CORPUS = EVIDENCE / "optisigns-graphql"
SCHEMA_FILE = REPO / "emulator" / "signs_emulator" / "optisigns" / "schema.graphql"

#: Best first. The first three are the trusted levels of the evidence README; an OptiSigns draft ranks above
#: other third parties (both untrusted).
TRUST_ORDER = ("official", "demo", "live3p", "official-draft", "3p", "none")
TRUSTED = frozenset({"official", "demo", "live3p"})


@dataclass(frozen=True)
class CorpusDocument:
    id: str
    trust: str
    text: str
    variables: tuple[dict[str, Any], ...]  # the 'source' variable sets only

    @property
    def trusted(self) -> bool:
        return self.trust in TRUSTED


def corpus_available() -> bool:
    return (CORPUS / "sources.tsv").is_file()


@cache
def corpus_documents() -> tuple[CorpusDocument, ...]:
    """The 97 documents sent to the real API, with their trust level and the variables their source sends."""
    variables = json.loads((CORPUS / "variables.json").read_text("utf-8"))
    documents = []
    with (CORPUS / "sources.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            sets = tuple(
                entry["variables"] for entry in variables.get(row["id"], []) if entry.get("kind") == "source"
            )
            text = (CORPUS / row["file"]).read_text("utf-8")
            documents.append(CorpusDocument(row["id"], row["trust"], text, sets))
    return tuple(documents)


@cache
def negative_documents() -> tuple[tuple[str, str], ...]:
    """(id, text) of the documents the real API refused."""
    folder = CORPUS / "negative"
    with (folder / "sources.tsv").open(encoding="utf-8", newline="") as handle:
        return tuple(
            (row["id"], (folder / row["file"]).read_text("utf-8"))
            for row in csv.DictReader(handle, delimiter="\t")
        )


# -- names a document uses ----------------------------------------------------------------------------------------
def _value_names(type_: GraphQLInputType | None, value: Any) -> Iterator[str]:
    """Input fields and enum values a variable value uses, walked along its declared type."""
    if type_ is None or value is None:
        return
    type_ = get_nullable_type(type_)  # type: ignore[assignment]
    if isinstance(type_, GraphQLList):
        items = value if isinstance(value, list) else [value]
        for item in items:
            yield from _value_names(type_.of_type, item)
    elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
        for key, item in value.items():
            yield f"{type_.name}.{key}"
            field = type_.fields.get(key)
            if field is not None:
                yield from _value_names(field.type, item)
    elif isinstance(type_, GraphQLEnumType) and isinstance(value, str):
        yield f"{type_.name}.{value}"


def document_names(
    schema: GraphQLSchema, document: DocumentNode, variables: tuple[dict[str, Any], ...]
) -> set[str]:
    """Every name (see the module docstring) ``document`` uses, read against ``schema``; names the schema does
    not know are included as written, so a misspelt name shows up as used-but-unknown."""
    names: set[str] = set()
    type_info = TypeInfo(schema)

    fields: list[str] = []  # the field whose arguments are being read

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_args: Any) -> None:
            fields.append(node.name.value)
            parent = type_info.get_parent_type()
            if parent is not None:
                names.add(f"{parent.name}.{node.name.value}")

        def leave_field(self, *_args: Any) -> None:
            fields.pop()

        def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
            parent = type_info.get_parent_type()
            if fields and parent is not None:
                names.add(f"{parent.name}.{fields[-1]}({node.name.value})")

        def enter_object_field(self, node: ObjectFieldNode, *_args: Any) -> None:
            parent = get_named_type(type_info.get_parent_input_type())
            if parent is not None:
                names.add(f"{parent.name}.{node.name.value}")

        def enter_enum_value(self, node: EnumValueNode, *_args: Any) -> None:
            enum = get_named_type(type_info.get_input_type())
            if enum is not None and is_enum_type(enum):
                names.add(f"{enum.name}.{node.value}")

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            for definition in node.variable_definitions or ():
                declared = type_from_ast(schema, definition.type)
                names.add(_type_name(definition.type))
                for values in variables:
                    if definition.variable.name.value in values:
                        value = values[definition.variable.name.value]
                        names.update(_value_names(declared, value))  # type: ignore[arg-type]

    visit(document, TypeInfoVisitor(type_info, Collect()))
    return names


def _type_name(node: Any) -> str:
    while not hasattr(node, "name") or node.name is None:
        node = node.type
    return str(node.name.value)


@dataclass(frozen=True)
class Evidence:
    trust: str
    doc: str | None  # the best document using it (first id in order among those of the best trust)

    @property
    def trusted(self) -> bool:
        return self.trust in TRUSTED


def name_evidence(schema: GraphQLSchema) -> dict[str, Evidence]:
    """Name -> its best evidence in the corpus, for every name some corpus document uses."""
    best: dict[str, Evidence] = {}
    for doc in sorted(corpus_documents(), key=lambda d: (TRUST_ORDER.index(d.trust), d.id)):
        for name in document_names(schema, parse(doc.text), doc.variables):
            best.setdefault(name, Evidence(doc.trust, doc.id))
    return best


def schema_names(schema: GraphQLSchema) -> dict[str, str]:
    """Every annotatable name of ``schema`` -> its kind (field, argument, input field, enum value, type)."""
    names: dict[str, str] = {}
    for type_ in schema.type_map.values():
        if type_.name.startswith("__") or type_.name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if is_enum_type(type_):
            names[type_.name] = "type"
            for value in type_.values:  # type: ignore[attr-defined]
                names[f"{type_.name}.{value}"] = "enum value"
        elif is_input_object_type(type_):
            names[type_.name] = "type"
            for field in type_.fields:  # type: ignore[attr-defined]
                names[f"{type_.name}.{field}"] = "input field"
        elif hasattr(type_, "fields"):
            for field_name, field in type_.fields.items():  # type: ignore[attr-defined]
                names[f"{type_.name}.{field_name}"] = "field"
                for arg in field.args:
                    names[f"{type_.name}.{field_name}({arg})"] = "argument"
    return names


# -- rewriting the annotations of schema.graphql --------------------------------------------------------------------
_DIRECTIVE = re.compile(r"\s*@evidence\([^)]*\)")
_BLOCK = re.compile(r"^(type|input|enum)\s+(\w+)")
_MEMBER = re.compile(r"^\s+(\w+)")


def _annotation(evidence: Evidence | None) -> str:
    if evidence is None:
        return '@evidence(trust: "none")'
    return f'@evidence(trust: "{evidence.trust}", doc: "{evidence.doc}")'


def annotate(sdl: str, evidence: dict[str, Evidence]) -> str:
    """``sdl`` with every field, argument, input field, enum value and input/enum type line carrying the
    ``@evidence`` directive of ``evidence`` (existing ones replaced). Expects one member per line, and the
    arguments of a field on their own lines (``name(`` ... ``): Type``)."""
    out = []
    block: str | None = None
    field: str | None = None
    for line in sdl.splitlines():
        bare = _DIRECTIVE.sub("", line)
        stripped = bare.strip()
        if not stripped or stripped.startswith(("#", '"')):
            out.append(line)
            continue
        opened = _BLOCK.match(stripped)
        if opened:
            block = opened.group(2)
            if opened.group(1) in {"input", "enum"}:
                bare = bare.replace(" {", f" {_annotation(evidence.get(block))} {{", 1)
            out.append(bare)
            continue
        if stripped == "}":
            block = field = None
            out.append(bare)
            continue
        if block is None:
            out.append(line)
            continue
        if stripped.startswith(")"):  # end of a multi-line argument list: the field's own annotation
            out.append(f"{bare} {_annotation(evidence.get(f'{block}.{field}'))}")
            field = None
            continue
        member = _MEMBER.match(bare)
        assert member is not None, line
        name = member.group(1)
        if stripped.endswith("("):
            field = name
            out.append(bare)
        elif field is not None:
            out.append(f"{bare} {_annotation(evidence.get(f'{block}.{field}({name})'))}")
        else:
            out.append(f"{bare} {_annotation(evidence.get(f'{block}.{name}'))}")
    return "\n".join(out) + "\n"


def _main(argv: list[str]) -> int:
    sys.path.insert(0, str(REPO / "emulator"))
    from signs_emulator.optisigns.evidence import build_served_schema

    schema = build_served_schema(pessimistic=False)
    evidence = name_evidence(schema)
    text = annotate(SCHEMA_FILE.read_text("utf-8"), evidence)
    if "--write" in argv:
        SCHEMA_FILE.write_text(text, "utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
