"""OpenSign: the read endpoints of API v1.2, each answer checked against the specification's shapes.

The official OpenAPI description (OpenSignLabs/OpenSign@c595e7a, ``docs/docs/API-docs/v1.2/opensign.yaml``)
is AGPL-licensed, so it is not shipped; :data:`SHAPES` holds only what this check needs from it: the type of
each field its ``200`` answers declare (``tests/conformance`` compares them with the file). The spec's
response schemas require no field and allow extra ones, so an answer conforms when each declared field it
carries has the declared type; extra fields are listed for information.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from signs_provider.conformance.reads import ReadOnlyClient
from signs_provider.conformance.report import ERROR, FAIL, PASS, UNKNOWN, WARN, Check

PRODUCT = "opensign"
SPEC = "OpenSign API v1.2 spec"

_USER = dict.fromkeys(
    ("objectId", "name", "email", "phone", "jobTitle", "company", "createdAt", "updatedAt"), "string"
)
_CONTACT = dict.fromkeys(
    ("objectId", "name", "email", "phone", "company", "job_title", "createdAt", "updatedAt"), "string"
)
_FOLDER = dict.fromkeys(
    ("objectId", "folderName", "parentFolderId", "parentFolderName", "createdAt", "updatedAt"), "string"
)
_SENDING = {
    "sendInOrder": "boolean",
    "send_in_order_strict": "boolean",
    "allow_offline_sign": "boolean",
    "createdAt": "string",
    "updatedAt": "string",
    "enableTour": "boolean",
    "redirect_url": "string",
    "allow_modifications": "boolean",
    "auto_reminder": "boolean",
    "remind_once_in_every": "number",
}
_DOCUMENT_ITEM = {
    "objectId": "string",
    "file": "string",
    "title": "string",
    "note": "string",
    "folder": "object",
    "owner": "string",
    "signers": "array",
    **_SENDING,
    "template_id": "string",
}
_TEMPLATE_ITEM = {
    "objectId": "string",
    "title": "string",
    "note": "string",
    "file": "string",
    "owner": "string",
    "signers": "array",
    **_SENDING,
    "prefill": "object",
}

#: ``"GET /path template"`` -> ``{field: JSON type}`` of its 200 answer; for a list, of one item of its
#: ``result``. From the spec's response schemas (checked against the file by tests/conformance).
SHAPES: dict[str, dict[str, str]] = {
    "GET /getuser": _USER,
    "GET /getcredits": {
        "plan_credits": "number",
        "addon_credits": "number",
        "total_credits": "number",
        "renewal_date": "string",
    },
    "GET /webhook": {"webhook": "string"},
    "GET /contactlist": _CONTACT,
    "GET /contact/{contact_id}": _CONTACT,
    "GET /folderlist": _FOLDER,
    "GET /folder/{folder_id}": _FOLDER,
    "GET /templatelist": _TEMPLATE_ITEM,
    "GET /template/{template_id}": {
        **{k: v for k, v in _TEMPLATE_ITEM.items() if k != "prefill"},
        "description": "string",
        "pen_colors": "array",
        "sender_name": "string",
        "sender_email": "string",
        "notify_on_signatures": "boolean",
        "merge_certificate": "boolean",
        "timeToCompleteDays": "number",
        "bcc": "array",
        "cc": "array",
        "prefill": "object",
    },
    "GET /documentlist/{doctype}": _DOCUMENT_ITEM,
    "GET /document/{document_id}": {
        **_DOCUMENT_ITEM,
        "status": "string",
        "certificate": "string",
        "audit_trail": "array",
        "pen_colors": "array",
        "bcc": "array",
        "cc": "array",
    },
}
#: The list endpoints (``{"result": [...]}``).
LISTS = ("GET /contactlist", "GET /folderlist", "GET /templatelist", "GET /documentlist/{doctype}")
#: The ``doctype`` values the spec lists for ``documentlist``.
DOCTYPES = ("draft", "inprogress", "completed", "expired", "declined")

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def shape_problems(value: Any, shape: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """``(wrong types, nulls, extra fields)`` of one JSON object against a shape."""
    if not isinstance(value, dict):
        return [f"expected a JSON object, got {type(value).__name__}"], [], []
    wrong, nulls, extra = [], [], []
    for key, item in value.items():
        expected = shape.get(key)
        if expected is None:
            extra.append(key)
        elif item is None:
            nulls.append(key)
        elif isinstance(item, bool) and expected != "boolean":
            wrong.append(f"{key}: {expected} expected, got boolean")
        elif not isinstance(item, _PY_TYPES[expected]):
            wrong.append(f"{key}: {expected} expected, got {type(item).__name__}")
    return wrong, nulls, extra


def _read_check(operation: str, url_path: str, status: int, body: Any, *, text: str = "") -> Check:
    """One read's answer against its shape."""
    name = f"{operation}" if url_path == operation[4:] else f"{operation} ({url_path})"
    if status != 200:
        documented = status == 404 and operation in ("GET /webhook",)
        return Check(
            PRODUCT,
            "read",
            name,
            PASS if documented else FAIL,
            SPEC,
            f"HTTP {status}"
            + (" (the spec's answer when no webhook is set)" if documented else f": {text[:160]}"),
        )
    objects = body.get("result") if operation in LISTS and isinstance(body, dict) else body
    if operation in LISTS and not isinstance(objects, list):
        return Check(PRODUCT, "read", name, FAIL, SPEC, 'expected {"result": [...]}, got ' + text[:160])
    wrong: list[str] = []
    nulls: list[str] = []
    extra: list[str] = []
    for item in objects if isinstance(objects, list) else [objects]:
        w, n, e = shape_problems(item, SHAPES[operation])
        wrong += w
        nulls += [x for x in n if x not in nulls]
        extra += [x for x in e if x not in extra]
    count = f"{len(objects)} item(s); " if isinstance(objects, list) else ""
    if wrong:
        return Check(
            PRODUCT, "read", name, FAIL, SPEC, count + "types differ from the spec: " + "; ".join(wrong)
        )
    detail = count + "fields have the spec's types"
    if extra:
        detail += f"; fields the spec does not declare: {', '.join(sorted(extra))}"
    if nulls:
        return Check(
            PRODUCT,
            "read",
            name,
            WARN,
            SPEC,
            detail + f"; null where the spec declares a value: {', '.join(nulls)}",
        )
    return Check(PRODUCT, "read", name, PASS, SPEC, detail)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def newest_first(lists: dict[str, list[Any]]) -> Check:
    """The polling guess ``LISTS_NEWEST_FIRST``: document lists come newest first by ``updatedAt``."""
    name = "signs_provider.opensign.client.polling.LISTS_NEWEST_FIRST"
    evidence = "none: the open-source server sorts so"
    seen = 0
    for doctype, items in lists.items():
        moments = [_parse_time(item.get("updatedAt")) for item in items if isinstance(item, dict)]
        known = [m for m in moments if m is not None]
        if len(known) < 2:
            continue
        seen += 1
        if any(later > earlier for earlier, later in zip(known, known[1:], strict=False)):
            return Check(
                PRODUCT,
                "guess",
                name,
                FAIL,
                evidence,
                f"documentlist/{doctype} is not newest first by updatedAt",
                "harmless: a search stops early only on a page it has checked to be sorted; set "
                "LISTS_NEWEST_FIRST = False and report it",
            )
    if not seen:
        return Check(
            PRODUCT, "guess", name, UNKNOWN, evidence, "no document list with two dated items to compare"
        )
    return Check(PRODUCT, "guess", name, PASS, evidence, f"{seen} list(s) newest first by updatedAt")


def check(client: ReadOnlyClient, base_url: str, *, environment: str) -> tuple[list[Check], dict[str, Any]]:
    """Run the OpenSign reads against ``base_url`` (the API root, ending in ``/api/v1.2``)."""
    from signs_provider.opensign.client.evidence import UNEVIDENCED

    base_url = base_url.rstrip("/")
    context: dict[str, Any] = {"opensign endpoint": base_url, "opensign environment": environment}
    user = client.get(f"{base_url}/getuser")
    if user.status != 200:
        hint = {
            405: "a token of another environment (OpenSign answers 405): pass --opensign-environment",
            401: "the token was refused",
            404: "no user for this token",
        }.get(user.status, "check the token and the endpoint")
        return [
            Check(
                PRODUCT, "setup", "GET /getuser", ERROR, SPEC, f"HTTP {user.status}: {user.text[:160]}", hint
            )
        ], context
    checks = [_read_check("GET /getuser", "/getuser", user.status, user.body, text=user.text)]
    for operation in ("GET /getcredits", "GET /webhook"):
        answer = client.get(base_url + operation[4:])
        checks.append(_read_check(operation, operation[4:], answer.status, answer.body, text=answer.text))

    firsts: dict[str, str] = {}
    documents: dict[str, list[Any]] = {}
    for operation, paths in (
        ("GET /contactlist", ["/contactlist"]),
        ("GET /folderlist", ["/folderlist"]),
        ("GET /templatelist", ["/templatelist"]),
        ("GET /documentlist/{doctype}", [f"/documentlist/{doctype}" for doctype in DOCTYPES]),
    ):
        for path in paths:
            # Three items: enough to see the order of a document list, little to read.
            answer = client.get(base_url + path, params={"limit": 3, "skip": 0})
            checks.append(_read_check(operation, path, answer.status, answer.body, text=answer.text))
            items = answer.body.get("result") if isinstance(answer.body, dict) else None
            if isinstance(items, list):
                if operation == "GET /documentlist/{doctype}":
                    documents[path.rsplit("/", 1)[1]] = items
                first = next(
                    (i.get("objectId") for i in items if isinstance(i, dict) and i.get("objectId")), None
                )
                if first and operation not in firsts:
                    firsts[operation] = str(first)

    for listing, single in (
        ("GET /contactlist", "GET /contact/{contact_id}"),
        ("GET /folderlist", "GET /folder/{folder_id}"),
        ("GET /templatelist", "GET /template/{template_id}"),
        ("GET /documentlist/{doctype}", "GET /document/{document_id}"),
    ):
        if listing not in firsts:
            checks.append(
                Check(PRODUCT, "read", single, UNKNOWN, SPEC, f"nothing to read: {listing[4:]} is empty")
            )
            continue
        path = single[4:].split("{", 1)[0] + firsts[listing]
        answer = client.get(base_url + path)
        checks.append(_read_check(single, path, answer.status, answer.body, text=answer.text))

    checks.append(newest_first(documents))
    for guess in UNEVIDENCED:
        checks.append(
            Check(
                PRODUCT,
                "guess",
                f"{guess.operation}: {guess.field}",
                UNKNOWN,
                "not declared by the spec",
                "sent by a write: a read cannot settle it. If the guess is wrong: " + guess.fallback,
            )
        )
    return checks, context
