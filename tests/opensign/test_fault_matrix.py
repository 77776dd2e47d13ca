"""The fault matrix: every OpenSign write of the hook and of the write operators, against every fault.

Each case arms one fault on the operation's request, runs the operation as a first try, lets any late
or slow write land (as Airflow's ``retry_delay`` would), runs the task's retry where the first try
failed (or, for "applied, then retried", after a first try that applied its write), then reads the
emulator's state. A case is:

* ``fine``: the write happened once and the call (or its retry) said so;
* ``clear error``: the call failed with a provider error, and nothing was created twice;
* ``duplicate``: two documents (two credits), objects or changes where one was asked for;
* ``lost``: the call reported success but the write is not there;
* ``misleading``: the retry failed although the write it asked for had been made.

Every case must be ``fine`` or ``clear error``. The hook's timeout is 1 s and its landing wait 0.3 s;
the ``late_write`` cases play a gateway that gave up while the backend went on, 0.5 s and 3.5 s after
the error, i.e. after the landing wait. All the cases of one fault share one emulator state (each
names what it creates after itself) and one wait, so the matrix runs in under two minutes.

With ``SIGNS_FAULT_MATRIX_OUT=<file>`` the run writes every case's outcome and the tally there.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from signs_provider.common.errors import SignsError
from signs_provider.opensign.client.payloads import idempotency_marker
from signs_provider.opensign.status import DocumentStatus
from tests.opensign.conftest import (
    QUICK_RETRIES,
    RunningTask,
    StateStore,
    make_pdf,
    signer,
    task_context,
)

#: (kind, late_write, delay): every fault of the emulator, and the late-write variants at timeout=1.
FAULTS: dict[str, tuple[str, float | None, float]] = {
    "429": ("429", None, 0),
    "500": ("500", None, 0),
    "502": ("502", None, 0),
    "503": ("503", None, 0),
    "drop": ("drop", None, 0),
    "slow": ("slow", None, 1.2),  # past the 1 s timeout; the server applies it all the same
    "malformed": ("malformed", None, 0),
    "lost_response": ("lost_response", None, 0),
    "503+late0.5": ("503", 0.5, 0),
    "503+late3.5": ("503", 3.5, 0),
    "drop+late0.5": ("drop", 0.5, 0),
    "drop+late3.5": ("drop", 3.5, 0),
    "applied, then retried": ("", None, 0),  # no fault: the first try applied its write, the task retries
}
ADA = {"name": "Ada Lovelace", "email": "ada@example.com"}
PDF = make_pdf()


@dataclass
class Case:
    """One operation under test. Every callable takes a ``tag`` (the operation's name), which names what
    the case creates (titles, markers, emails), so that cases can share one emulator state.

    :ivar path: the regular expression of the request to fault (``{id}``: the setup's object id).
    :ivar setup: makes what the operation needs; returns the object id (or ``None``).
    :ivar first: the first try; ``retry``: the task's retry (``None``: a retry would need the caller
        to check first, as the error says, so the matrix does not retry it).
    :ivar effect: how many times the write is visible in the emulator's state.
    """

    method: str
    path: str
    first: Callable[[Any, Any, Any, str], Any]
    effect: Callable[[Any, Any, str], int]
    setup: Callable[[Any, Any, str], Any] = lambda hook, emu, tag: None
    retry: Callable[[Any, Any, Any, str], Any] | None = None
    #: Declared harmless to repeat (a second reminder beats none): repeats are counted, not failed.
    repeatable: bool = False
    #: A non-idempotent request: sent once, its unknown outcome settled by looking or reported.
    sent_once: bool = False
    note: str = ""


def _state(emu) -> dict[str, Any]:
    return emu.control.opensign_state("sandbox")


def _live(items: list[dict], **match: Any) -> list[dict]:
    return [i for i in items if not i.get("deleted_at") and all(i.get(k) == v for k, v in match.items())]


def _documents(emu, oid, tag: str) -> int:
    """Documents titled ``tag`` (a template send's title also carries its marker: ``tag [af-...]``)."""
    return len([d for d in _live(_state(emu)["documents"]) if d["name"].split(" [")[0] == tag])


def _marker(tag: str) -> str:
    return idempotency_marker("matrix", tag, "manual__matrix", -1)


def _sent(hook, emu, tag: str) -> str:
    return hook.send_for_signature(PDF, title=f"Setup {tag}", signers=[signer(**ADA)]).document_id


def _template(hook, tag: str) -> str:
    return hook.create_template(PDF, title=f"Setup {tag}", signers=[{"role": "R", "widgets": _widgets()}])[
        "objectId"
    ]


def _nda(hook) -> str:
    return next(t["objectId"] for t in hook.list_templates() if t["title"] == "Mutual NDA")


def _marker_retry(create: Callable[[Any, str], Any], **where: Any) -> Callable[[Any, Any, Any, str], Any]:
    """What a send operator's retry does: look for the marker through the landing wait, else send."""

    def retry(hook, emu, oid, tag):
        return hook.find_sent_document(_marker(tag), since=None, **where) or create(hook, tag)

    return retry


def _send(hook, tag):
    return hook.send_for_signature(PDF, title=tag, signers=[signer(**ADA)], marker=_marker(tag))


def _template_send(hook, tag):
    return hook.send_template_for_signature(
        _nda(hook), title=tag, signers=[{"role": "Counterparty", **ADA}], marker=_marker(tag)
    )


def _draft(hook, tag):
    return hook.draft_document(PDF, title=tag, marker=_marker(tag))


def _self_sign(hook, tag):
    return hook.self_sign_document(
        PDF, title=tag, signer=signer("Sam Sandbox", "sam.sandbox@example.com"), marker=_marker(tag)
    )


STORES: dict[str, StateStore] = {}


def _operator_send(hook, tag: str, *, try_number: int, template: bool = False):
    from signs_provider.opensign.operators import (
        OpenSignSendForSignatureOperator,
        OpenSignSendTemplateOperator,
    )

    if template:
        operator: Any = OpenSignSendTemplateOperator(
            task_id=tag, template_id=_nda(hook), title=tag, signers=[{"role": "Counterparty", **ADA}]
        )
    else:
        operator = OpenSignSendForSignatureOperator(task_id=tag, file=PDF, title=tag, signers=[signer(**ADA)])
    operator.__dict__["hook"] = hook  # the matrix's quick hook instead of one built from the connection
    store = STORES.setdefault(tag, StateStore())  # Airflow's task state store, kept across the tries
    return operator.execute(task_context(RunningTask(task_id=tag, try_number=try_number), store=store))


def _operator(cls_name: str, hook, oid: Any, tag: str, try_number: int) -> Any:
    from signs_provider.opensign import operators

    operator = getattr(operators, cls_name)(task_id=tag, document_id=oid)
    operator.__dict__["hook"] = hook
    return operator.execute(task_context(RunningTask(task_id=tag, try_number=try_number)))


def _mails_to(emu, document_id: str, email: str) -> int:
    return [m["to"] for m in emu.control.opensign_document(document_id)["mails"]].count(email)


def _item(emu, kind: str, object_id: str) -> dict[str, Any]:
    return next(i for i in _state(emu)[kind] if i["id"] == object_id)


def _gone_or(delete: Callable[[], Any]) -> Any:
    """A task's retry of a delete: "not found" means the first try deleted it (gone either way)."""
    from signs_provider.opensign.errors import OpenSignNotFoundError

    try:
        return delete()
    except OpenSignNotFoundError:
        return {"already_deleted": True}


def _email(tag: str) -> str:
    return f"{tag.lower()}@example.com"


def _widgets() -> list[dict[str, Any]]:
    return [dict(signer(**ADA)["widgets"][0])]


def _cases() -> dict[str, Case]:
    docs = _documents
    cases = {
        "send_for_signature": Case(
            "POST", "/createdocument$", lambda h, e, i, t: _send(h, t), docs, retry=_marker_retry(_send)
        ),
        "send_template_for_signature": Case(
            "POST",
            r"/createdocument/\w+$",
            lambda h, e, i, t: _template_send(h, t),
            docs,
            retry=_marker_retry(_template_send),
        ),
        "draft_document": Case(
            "POST",
            "/draftdocument$",
            lambda h, e, i, t: _draft(h, t),
            docs,
            retry=_marker_retry(_draft, statuses=(DocumentStatus.DRAFT,), endpoint="draftdocument"),
        ),
        "self_sign_document": Case(
            "POST",
            "/selfsign$",
            lambda h, e, i, t: _self_sign(h, t),
            docs,
            retry=_marker_retry(_self_sign, endpoint="selfsign"),
        ),
        "create_template": Case(
            "POST",
            "/createtemplate$",
            lambda h, e, i, t: h.create_template(
                PDF, title=t, signers=[{"role": "R", "widgets": _widgets()}]
            ),
            lambda e, i, t: len(_live(_state(e)["templates"], title=t)),
            note="no marker: an unknown outcome is an AmbiguousWriteError that says to check first",
        ),
        "create_folder": Case(
            "POST",
            "/createfolder$",
            lambda h, e, i, t: h.create_folder(t),
            lambda e, i, t: len(_live(_state(e)["folders"], name=t)),
            note="names may repeat: an unknown outcome is an AmbiguousWriteError that says to check first",
        ),
        "create_contact": Case(
            "POST",
            "/createcontact$",
            lambda h, e, i, t: h.create_contact(name="Hedy", email=_email(t)),
            lambda e, i, t: len(_live(_state(e)["contacts"], email=_email(t))),
            retry=lambda h, e, i, t: h.create_contact(name="Hedy", email=_email(t), exist_ok=True),
            note="a task retry passes exist_ok=True to find the contact its first try made",
        ),
        "update_document": Case(
            "PUT",
            "/document/{id}$",
            lambda h, e, i, t: h.update_document(i, name=f"Renamed {t}"),
            lambda e, i, t: int(_item(e, "documents", i)["name"] == f"Renamed {t}"),
            setup=_sent,
            retry=lambda h, e, i, t: h.update_document(i, name=f"Renamed {t}"),
        ),
        "update_template": Case(
            "PUT",
            "/template/{id}$",
            lambda h, e, i, t: h.update_template(i, name=f"Renamed {t}"),
            lambda e, i, t: int(_item(e, "templates", i)["title"] == f"Renamed {t}"),
            setup=lambda h, e, t: _template(h, t),
            retry=lambda h, e, i, t: h.update_template(i, name=f"Renamed {t}"),
        ),
        "update_contact": Case(
            "PUT",
            "/contact/{id}$",
            lambda h, e, i, t: h.update_contact(i, company=f"Renamed {t}"),
            lambda e, i, t: int(_item(e, "contacts", i)["company"] == f"Renamed {t}"),
            setup=lambda h, e, t: h.create_contact(name="Hedy", email=_email(t))["objectId"],
            retry=lambda h, e, i, t: h.update_contact(i, company=f"Renamed {t}"),
        ),
        "update_folder": Case(
            "PUT",
            "/folder/{id}$",
            lambda h, e, i, t: h.update_folder(i, name=f"Renamed {t}"),
            lambda e, i, t: int(_item(e, "folders", i)["name"] == f"Renamed {t}"),
            setup=lambda h, e, t: h.create_folder(t)["objectId"],
            retry=lambda h, e, i, t: h.update_folder(i, name=f"Renamed {t}"),
        ),
        "revoke_document": Case(
            "POST",
            "/document/{id}$",
            lambda h, e, i, t: h.revoke_document(i, "Withdrawn"),
            lambda e, i, t: int(_item(e, "documents", i)["status"] == "declined"),
            setup=_sent,
            retry=lambda h, e, i, t: h.revoke_document(i, "Withdrawn"),
        ),
        "delete_document": Case(
            "DELETE",
            "/document/{id}$",
            lambda h, e, i, t: h.delete_document(i),
            lambda e, i, t: int(bool(_item(e, "documents", i)["deleted_at"])),
            setup=_sent,
            retry=lambda h, e, i, t: _gone_or(lambda: h.delete_document(i)),
        ),
        "delete_template": Case(
            "DELETE",
            "/template/{id}$",
            lambda h, e, i, t: h.delete_template(i),
            lambda e, i, t: int(bool(_item(e, "templates", i)["deleted_at"])),
            setup=lambda h, e, t: _template(h, t),
            retry=lambda h, e, i, t: _gone_or(lambda: h.delete_template(i)),
        ),
        "delete_contact": Case(
            "DELETE",
            "/contact/{id}$",
            lambda h, e, i, t: h.delete_contact(i),
            lambda e, i, t: int(bool(_item(e, "contacts", i)["deleted_at"])),
            setup=lambda h, e, t: h.create_contact(name="Hedy", email=_email(t))["objectId"],
            retry=lambda h, e, i, t: _gone_or(lambda: h.delete_contact(i)),
        ),
        "delete_folder": Case(
            "DELETE",
            "/folder/{id}$",
            lambda h, e, i, t: h.delete_folder(i),
            lambda e, i, t: int(bool(_item(e, "folders", i)["deleted_at"])),
            setup=lambda h, e, t: h.create_folder(t)["objectId"],
            retry=lambda h, e, i, t: _gone_or(lambda: h.delete_folder(i)),
        ),
        "resend_mail": Case(
            "POST",
            "/resendmail$",
            lambda h, e, i, t: h.resend_mail(i, "ada@example.com"),
            lambda e, i, t: _mails_to(e, i, "ada@example.com"),
            setup=_sent,
            retry=lambda h, e, i, t: h.resend_mail(i, "ada@example.com"),
            repeatable=True,
            note="declared harmless to repeat: a second reminder beats none (repeats are counted apart)",
        ),
        "set_webhook": Case(
            "POST",
            "/webhook$",
            lambda h, e, i, t: h.set_webhook("https://hooks.example.com/os"),
            lambda e, i, t: int(_state(e)["webhook"]["url"] == "https://hooks.example.com/os"),
            retry=lambda h, e, i, t: h.set_webhook("https://hooks.example.com/os"),
        ),
        "delete_webhook": Case(
            "DELETE",
            "/webhook$",
            lambda h, e, i, t: h.delete_webhook(),
            lambda e, i, t: int(not _state(e)["webhook"]["url"]),
            setup=lambda h, e, t: h.set_webhook("https://hooks.example.com/os") and None,
            retry=lambda h, e, i, t: _gone_or(h.delete_webhook),
        ),
        # -- the write operators ------------------------------------------------------------------------
        "OpenSignSendForSignatureOperator": Case(
            "POST",
            "/createdocument$",
            lambda h, e, i, t: _operator_send(h, t, try_number=1),
            docs,
            retry=lambda h, e, i, t: _operator_send(h, t, try_number=2),
        ),
        "OpenSignSendTemplateOperator": Case(
            "POST",
            r"/createdocument/\w+$",
            lambda h, e, i, t: _operator_send(h, t, try_number=1, template=True),
            docs,
            retry=lambda h, e, i, t: _operator_send(h, t, try_number=2, template=True),
        ),
        "OpenSignRevokeDocumentOperator": Case(
            "POST",
            "/document/{id}$",
            lambda h, e, i, t: _operator("OpenSignRevokeDocumentOperator", h, i, t, 1),
            lambda e, i, t: int(_item(e, "documents", i)["status"] == "declined"),
            setup=_sent,
            retry=lambda h, e, i, t: _operator("OpenSignRevokeDocumentOperator", h, i, t, 2),
        ),
        "OpenSignResendReminderOperator": Case(
            "POST",
            "/resendmail$",
            lambda h, e, i, t: _operator("OpenSignResendReminderOperator", h, i, t, 1),
            lambda e, i, t: _mails_to(e, i, "ada@example.com"),
            setup=_sent,
            retry=lambda h, e, i, t: _operator("OpenSignResendReminderOperator", h, i, t, 2),
            repeatable=True,
            note="as resend_mail",
        ),
    }
    for name in SENT_ONCE:
        cases[name].sent_once = True
    return cases


#: The writes whose endpoints are declared non-idempotent (checked by a test below).
SENT_ONCE = (
    "send_for_signature",
    "send_template_for_signature",
    "draft_document",
    "self_sign_document",
    "create_template",
    "create_folder",
    "revoke_document",
    "OpenSignSendForSignatureOperator",
    "OpenSignSendTemplateOperator",
    "OpenSignRevokeDocumentOperator",
)
CASES = _cases()
RESULTS: dict[str, dict[str, str]] = {}
COUNTS: dict[str, int] = {"repeated reminders": 0}
#: The late writes after the landing wait; run against the writes sent once only (see the test).
LATE = ("503+late3.5", "drop+late3.5")


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    out = os.environ.get("SIGNS_FAULT_MATRIX_OUT")
    if out:
        tally: dict[str, int] = {}
        for row in RESULTS.values():
            for outcome in row.values():
                tally[outcome.split(":")[0]] = tally.get(outcome.split(":")[0], 0) + 1
        with open(out, "w") as fh:
            json.dump({"tally": tally, "counts": COUNTS, "cases": RESULTS}, fh, indent=1, sort_keys=True)


@dataclass
class Run:
    """One case in flight: its object, the effect before, the first try's error, when it started."""

    operation: str
    fault: str
    oid: Any
    baseline: int
    started: float
    error: BaseException | None = None


def _first_try(hook, emu, operation: str, fault: str) -> Run:
    case = CASES[operation]
    kind, late, delay = FAULTS[fault]
    oid = case.setup(hook, emu, operation)
    run = Run(operation, fault, oid, case.effect(emu, oid, operation), time.monotonic())
    if kind:
        emu.control.add_fault(
            kind,
            path=case.path.replace("{id}", oid or ""),
            method=case.method,
            late_write=late,
            delay=delay or 10.0,
        )
    try:
        case.first(hook, emu, oid, operation)
    except SignsError as exc:
        run.error = exc
    return run


def _lands(run: Run) -> float:
    """When the first try's write (late, or slow) has surely landed: Airflow's retry starts after it."""
    _, late, delay = FAULTS[run.fault]
    return run.started + (late or 0) + (delay or 0) + 0.25


def _retry_and_judge(hook, emu, run: Run) -> str:
    case = CASES[run.operation]
    error = run.error
    retried = case.retry is not None and (error is not None or run.fault == "applied, then retried")
    if retried:
        try:
            case.retry(hook, emu, run.oid, run.operation)  # type: ignore[misc]
            error = None
        except SignsError as exc:
            error = exc
    made = case.effect(emu, run.oid, run.operation) - run.baseline
    if case.repeatable and made > 1:
        COUNTS["repeated reminders"] += made - 1
        made = 1
    if made > 1:
        outcome = f"duplicate: {made}"
    elif error is None and made < 1:
        outcome = "lost: reported success, write absent"
    elif error is not None and made >= 1 and retried:
        outcome = f"misleading: {type(error).__name__} although the write was made"
    elif error is not None:
        outcome = f"clear error: {type(error).__name__}"
    else:
        outcome = "fine"
    RESULTS.setdefault(run.operation, {})[run.fault] = outcome
    return outcome if outcome.startswith(("fine", "clear error")) else f"{outcome} ({error})"


def _quick_hook(make_hook):
    return make_hook(timeout=1, landing_wait=0.3, retry_policy=QUICK_RETRIES)


#: The account's one webhook: these two cases cannot share a state, so each runs on its own.
ACCOUNT_WIDE = ("set_webhook", "delete_webhook")


@pytest.mark.parametrize("fault", list(FAULTS))
def test_no_duplicate_no_lost_write(opensign, make_hook, fault: str) -> None:
    """Every write against one fault: every first try, one wait for the late or slow writes to land
    (Airflow's retry_delay), then every retry. Each case names what it creates after itself, so they
    share the emulator's state and the matrix waits once per fault rather than once per case.

    The 3.5 s late writes run against the writes sent once only: an idempotent request is resent by
    the transport at once, so its late write repeats a write already made, which the 0.5 s case covers.
    """
    STORES.clear()
    hook = _quick_hook(make_hook)
    operations = [
        operation
        for operation, case in CASES.items()
        if operation not in ACCOUNT_WIDE and (case.sent_once or fault not in LATE)
    ]
    runs = [_first_try(hook, opensign, operation, fault) for operation in operations]
    time.sleep(max(0.0, max(_lands(run) for run in runs) - time.monotonic()))
    outcomes = {run.operation: _retry_and_judge(hook, opensign, run) for run in runs}
    bad = {op: outcome for op, outcome in outcomes.items() if not outcome.startswith(("fine", "clear error"))}
    assert not bad, f"under {fault}: {bad}"


@pytest.mark.parametrize("fault", [f for f in FAULTS if f not in LATE])
@pytest.mark.parametrize("operation", ACCOUNT_WIDE)
def test_the_account_webhook_under_faults(opensign, make_hook, operation: str, fault: str) -> None:
    hook = _quick_hook(make_hook)
    run = _first_try(hook, opensign, operation, fault)
    if fault != "applied, then retried":
        time.sleep(max(0.0, _lands(run) - time.monotonic()))
    outcome = _retry_and_judge(hook, opensign, run)
    assert outcome.startswith(("fine", "clear error")), f"{operation} under {fault}: {outcome}"


def test_the_matrix_knows_which_writes_are_sent_once() -> None:
    """The 3.5 s late writes are skipped only for requests the client declares idempotent."""
    import importlib
    import pkgutil

    from signs_provider.opensign import client
    from signs_provider.opensign.client.rest import Endpoint

    once = set()
    for info in pkgutil.iter_modules(client.__path__):
        for value in vars(importlib.import_module(f"{client.__name__}.{info.name}")).values():
            for endpoint in value.values() if isinstance(value, dict) else [value]:
                if isinstance(endpoint, Endpoint) and not endpoint.idempotent:
                    once.add((endpoint.method, endpoint.path))

    def declared_once(case: Case) -> bool:
        pattern = case.path.replace("{id}", "ID")
        return any(
            method == case.method and re.search(pattern, "/" + re.sub(r"{\w+}", "ID", path))
            for method, path in once
        )

    for name, case in CASES.items():
        assert case.sent_once == declared_once(case), name
