"""Never twice, never lost (issue 11, OpenSign side; issue 12 items 1 and 4), over HTTP to the emulator.

A create whose outcome is unknown is never sent again by the call that sent it; a task retry looks
for it first, and only waits when the previous try may have sent it. Writes whose answers were lost
report what happened rather than a misleading error. Bad input is refused before anything is sent.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from signs_provider.common.errors import AmbiguousWriteError, SignsConfigError
from signs_provider.opensign.client.payloads import MAX_TITLE_CHARS, idempotency_marker
from signs_provider.opensign.errors import OpenSignCreditsError
from signs_provider.opensign.operators import (
    SEND_STATE_KEY,
    OpenSignRevokeDocumentOperator,
    OpenSignSendForSignatureOperator,
    OpenSignSendTemplateOperator,
)
from signs_provider.opensign.status import DocumentStatus
from tests.opensign.conftest import (
    RunningTask,
    StateStore,
    credits_left,
    documents,
    signer,
    task_context,
)

MARKER = idempotency_marker("contracts", "send", "manual__never_twice", -1)
ADA = {"name": "Ada Lovelace", "email": "ada@example.com"}


@pytest.fixture
def quick_connection(opensign, monkeypatch) -> None:
    """Operators build their hook from the connection: a 1 s timeout makes the landing wait 2 s."""
    conn = json.loads(os.environ["AIRFLOW_CONN_OPENSIGN_DEFAULT"])
    extra = conn.get("extra") or {}
    extra = json.loads(extra) if isinstance(extra, str) else dict(extra)
    conn["extra"] = {**extra, "timeout": 1}
    monkeypatch.setenv("AIRFLOW_CONN_OPENSIGN_DEFAULT", json.dumps(conn))


def _nda(hook) -> str:
    return next(t["objectId"] for t in hook.list_templates() if t["title"] == "Mutual NDA")


def _looks(emulator) -> int:
    """How many times the documents in progress were searched (one per look for a marker)."""
    return len(emulator.control.requests(path="/documentlist/inprogress$", method="GET"))


# -- a create behind a gateway error whose write lands after the landing wait ---------------------------


CREATES = {
    "send_for_signature": (
        "createdocument$",
        lambda hook, pdf: hook.send_for_signature(pdf, title="C", signers=[signer(**ADA)], marker=MARKER),
        {},
    ),
    "send_template_for_signature": (
        r"createdocument/\w+$",
        lambda hook, pdf: hook.send_template_for_signature(
            _nda(hook), signers=[{"role": "Counterparty", **ADA}], marker=MARKER
        ),
        {},
    ),
    "draft_document": (
        "draftdocument$",
        lambda hook, pdf: hook.draft_document(pdf, title="D", marker=MARKER),
        {"statuses": (DocumentStatus.DRAFT,), "endpoint": "draftdocument"},
    ),
}


@pytest.mark.parametrize("operation", list(CREATES))
def test_a_create_landing_after_the_landing_wait_is_not_sent_twice(
    make_hook, pdf, opensign, operation
) -> None:
    """Issue 11: 503 with late_write=3.5 at timeout=1 made two documents and spent two credits."""
    path, create, where = CREATES[operation]
    hook = make_hook(timeout=1)  # landing wait 2 s; the write lands 3.5 s after the 503
    before = credits_left(opensign)
    opensign.control.add_fault("503", path=path, method="POST", late_write=3.5)
    with pytest.raises(AmbiguousWriteError, match="not sent again"):
        create(hook, pdf)
    assert documents(opensign) == []  # not landed yet, and nothing was sent again
    # The task's retry looks before it may send: the late write shows up meanwhile.
    found = hook.find_sent_document(MARKER, since=None, **where)
    assert found is not None and found.recovered
    assert [d["id"] for d in documents(opensign)] == [found.document_id]
    assert credits_left(opensign) == before - 1
    creates = [r for r in opensign.control.requests(method="POST") if r["path"].endswith(path.rstrip("$"))]
    assert len(creates) <= 1 or operation == "send_template_for_signature"


# -- misleading outcomes --------------------------------------------------------------------------------


def test_a_contact_whose_answer_was_lost_is_returned_not_a_conflict(hook, opensign) -> None:
    """Issue 11: the resend after a lost answer met "already exists" for the contact it had just created."""
    opensign.control.add_fault("lost_response", path="/createcontact$", method="POST")
    created = hook.create_contact(name="Hedy Lamarr", email="hedy@example.com")
    assert created["email"] == "hedy@example.com" and created["objectId"]
    assert [c["objectId"] for c in hook.list_contacts() if c["email"] == "hedy@example.com"] == [
        created["objectId"]
    ]


def test_a_genuine_duplicate_contact_is_still_a_conflict(hook, opensign) -> None:
    from signs_provider.opensign.errors import OpenSignConflictError

    hook.create_contact(name="Hedy Lamarr", email="hedy@example.com")
    with pytest.raises(OpenSignConflictError):
        hook.create_contact(name="Hedy Lamarr", email="hedy@example.com")


def test_the_revoke_operators_retry_after_a_revoke_that_landed_late_succeeds(
    make_hook, send, opensign, quick_connection
) -> None:
    """Issue 11: the retry failed with OpenSignBadRequestError although the document was revoked."""
    sent = send()
    first_try = make_hook(timeout=1, landing_wait=0.2)
    opensign.control.add_fault("503", path=f"/document/{sent.document_id}$", method="POST", late_write=0.6)
    with pytest.raises(AmbiguousWriteError):
        first_try.revoke_document(sent.document_id, "Withdrawn")
    deadline = time.monotonic() + 10
    while first_try.get_document_state(sent.document_id).status is not DocumentStatus.DECLINED:
        assert time.monotonic() < deadline, "the late revoke never landed"
        time.sleep(0.1)
    retry = OpenSignRevokeDocumentOperator(task_id="revoke", document_id=sent.document_id, reason="Withdrawn")
    result = retry.execute(task_context(RunningTask(task_id="revoke", try_number=2)))
    assert result["document_id"] == sent.document_id and result["revoked_at"]


def test_a_revoke_refused_for_a_document_not_declined_is_still_an_error(hook, pdf, opensign) -> None:
    from signs_provider.opensign.errors import OpenSignBadRequestError

    draft = hook.draft_document(pdf, title="Draft")  # a draft cannot be revoked, and is not declined
    with pytest.raises(OpenSignBadRequestError):
        hook.revoke_document(draft.document_id)


# -- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "T" * 200_000}, rf"title: 200000 characters; a title may have at most {MAX_TITLE_CHARS}"),
        ({"options": {"timeToCompleteDays": -3}}, r"options\.timeToCompleteDays: -3 is not a number of days"),
        ({"options": {"timeToCompleteDays": "7"}}, r"options\.timeToCompleteDays: '7' is not a number"),
        ({"options": {"timeToCompleteDays": True}}, r"options\.timeToCompleteDays: True"),
        ({"options": {"remind_once_in_every": 1.5}}, r"options\.remind_once_in_every: 1\.5"),
        ({"options": {"send_email": "no"}}, r"options\.send_email: 'no' is not true or false"),
        ({"options": {"bcc": "legal@example.com"}}, r"options\.bcc: .* is not a list of email addresses"),
        ({"options": {"redirect_url": "javascript:alert(1)"}}, r"options\.redirect_url: .* not an http"),
        ({"options": {"sender_email": "nobody"}}, r"options\.sender_email: 'nobody' is not an email"),
    ],
)
def test_bad_titles_and_options_are_refused_before_anything_is_sent(
    hook, opensign, pdf, change, message
) -> None:
    arguments = {"title": "Contract", "signers": [signer(**ADA)], **change}
    with pytest.raises(SignsConfigError, match=message):
        hook.send_for_signature(pdf, **arguments)
    with pytest.raises(SignsConfigError, match=message):
        hook.draft_document(pdf, **arguments)
    assert opensign.control.count(method="POST") == 0


def test_template_sends_and_updates_check_titles_and_options_too(hook, send, opensign) -> None:
    template = _nda(hook)
    with pytest.raises(SignsConfigError, match=r"title: 200000 characters"):
        hook.send_template_for_signature(
            template, signers=[{"role": "Counterparty", **ADA}], title="T" * 200_000
        )
    with pytest.raises(SignsConfigError, match=r"options\.timeToCompleteDays: -3"):
        hook.send_template_for_signature(
            template, signers=[{"role": "Counterparty", **ADA}], options={"timeToCompleteDays": -3}
        )
    assert opensign.control.count(method="POST") == 0
    sent = send()
    with pytest.raises(SignsConfigError, match=r"remind_once_in_every: -1"):
        hook.update_document(sent.document_id, remind_once_in_every=-1)
    with pytest.raises(SignsConfigError, match=r"name: 200000 characters"):
        hook.update_document(sent.document_id, name="T" * 200_000)
    assert opensign.control.count(method="PUT") == 0


# -- task retries: look before sending; wait only if the previous try may have sent -------------------------


def _send_operator(**kwargs) -> OpenSignSendForSignatureOperator:
    from tests.opensign.conftest import make_pdf

    kwargs.setdefault("signers", [signer(**ADA)])
    kwargs.setdefault("title", "Contract")
    kwargs.setdefault("task_id", "send")
    return OpenSignSendForSignatureOperator(file=make_pdf(), **kwargs)


def test_a_retry_after_a_try_that_sent_nothing_sends_without_the_landing_wait(
    opensign, quick_connection
) -> None:
    """Issue 12 item 4: a retry after a refused create (here: no credits) waited the landing wait first."""
    store = StateStore()
    opensign.control.set_credits("sandbox", plan_credits=0, addon_credits=0)
    with pytest.raises(OpenSignCreditsError):
        _send_operator().execute(task_context(RunningTask(try_number=1), store=store))
    assert store.get(SEND_STATE_KEY)["state"] == "not_sent"
    opensign.control.set_credits("sandbox", plan_credits=5, addon_credits=0)
    opensign.control.reset_requests()
    result = _send_operator().execute(task_context(RunningTask(try_number=2), store=store))
    assert _looks(opensign) == 1  # one search for the marker, then the send: no landing wait
    assert [d["id"] for d in documents(opensign)] == [result["document_id"]] and not result["recovered"]
    assert store.get(SEND_STATE_KEY) == {
        "state": "sent",
        "marker": result["marker"],
        "document_id": result["document_id"],
    }


def test_a_retry_after_bad_input_or_a_refused_connection_knows_nothing_was_sent(
    opensign, quick_connection
) -> None:
    store = StateStore()
    with pytest.raises(SignsConfigError):
        _send_operator(title=" ").execute(task_context(RunningTask(try_number=1), store=store))
    assert store.get(SEND_STATE_KEY)["state"] == "not_sent"
    # Connection refused: the transport proves the request never left.
    conn = json.loads(os.environ["AIRFLOW_CONN_OPENSIGN_DEFAULT"])
    conn["host"] = "http://127.0.0.1:9"
    os.environ["AIRFLOW_CONN_OPENSIGN_REFUSED"] = json.dumps(conn)
    try:
        refused = _send_operator(opensign_conn_id="opensign_refused")
        store = StateStore()
        with pytest.raises(Exception, match="Nothing was sent"):
            refused.execute(task_context(RunningTask(try_number=1), store=store))
        assert store.get(SEND_STATE_KEY)["state"] == "not_sent"
    finally:
        del os.environ["AIRFLOW_CONN_OPENSIGN_REFUSED"]


def test_a_retry_after_a_try_whose_create_may_have_left_waits_then_sends_once(
    opensign, quick_connection
) -> None:
    store = StateStore()
    opensign.control.add_fault("503", path="/createdocument$", method="POST")  # not applied, but unknown
    with pytest.raises(AmbiguousWriteError):
        _send_operator().execute(task_context(RunningTask(try_number=1), store=store))
    assert store.get(SEND_STATE_KEY)["state"] == "sending"
    opensign.control.reset_requests()
    result = _send_operator().execute(task_context(RunningTask(try_number=2), store=store))
    assert _looks(opensign) >= 2  # looked through the landing wait before sending
    assert [d["id"] for d in documents(opensign)] == [result["document_id"]]


# -- idempotency_key: the same key never sends a second document, whichever run or task asks --------------


def test_two_runs_with_the_same_idempotency_key_send_one_document(opensign, quick_connection) -> None:
    before = credits_left(opensign)
    key = "contract-42-2026-01-01"
    scheduled = _send_operator(idempotency_key=key).execute(
        task_context(RunningTask(run_id="scheduled__2026-01-01T00:00:00"), store=StateStore())
    )
    manual = _send_operator(idempotency_key=key).execute(
        task_context(RunningTask(run_id="manual__2026-01-01T15:00:00"), store=StateStore())
    )
    assert manual["document_id"] == scheduled["document_id"] and manual["recovered"] is True
    assert manual["marker"] == scheduled["marker"]
    # Another task asking with that key finds it too; another key is another document.
    other_task = _send_operator(idempotency_key=key, task_id="send_again").execute(
        task_context(RunningTask(task_id="send_again"))
    )
    assert other_task["document_id"] == scheduled["document_id"]
    tomorrow = _send_operator(idempotency_key="contract-42-2026-01-02").execute(task_context(RunningTask()))
    assert tomorrow["document_id"] != scheduled["document_id"]
    assert len(documents(opensign)) == 2 and credits_left(opensign) == before - 2


def test_template_sends_take_an_idempotency_key_too(hook, opensign, quick_connection) -> None:
    template = _nda(hook)

    def run(run_id: str) -> dict:
        operator = OpenSignSendTemplateOperator(
            task_id="nda",
            template_id=template,
            signers=[{"role": "Counterparty", **ADA}],
            idempotency_key="nda-ada",
        )
        return operator.execute(task_context(RunningTask(task_id="nda", run_id=run_id)))

    first, second = run("scheduled__1"), run("manual__2")
    assert first["document_id"] == second["document_id"] and second["recovered"]
    assert len(documents(opensign)) == 1
    assert "idempotency_key" in OpenSignSendTemplateOperator.template_fields
    assert "idempotency_key" in OpenSignSendForSignatureOperator.template_fields


@pytest.mark.parametrize("key", ["", "  ", 42])
def test_an_empty_idempotency_key_is_refused_naming_the_field(opensign, quick_connection, key) -> None:
    with pytest.raises(SignsConfigError, match="idempotency_key: .* is not a key"):
        _send_operator(idempotency_key=key).execute(task_context(RunningTask()))
    assert opensign.control.count(method="POST") == 0


# -- deletes and creates that cannot be looked for ------------------------------------------------------


@pytest.mark.parametrize("kind", ["document", "template", "contact", "folder"])
def test_a_delete_whose_answer_was_lost_reports_the_deletion_not_not_found(
    hook, send, opensign, pdf, kind
) -> None:
    """The transport resends a lost DELETE; the resend's 404 is the first attempt's doing."""
    object_id = {
        "document": lambda: send().document_id,
        "template": lambda: hook.create_template(
            pdf, title="T", signers=[{"role": "R", "widgets": [signer(**ADA)["widgets"][0]]}]
        )["objectId"],
        "contact": lambda: hook.create_contact(name="Hedy", email="hedy@example.com")["objectId"],
        "folder": lambda: hook.create_folder("F")["objectId"],
    }[kind]()
    opensign.control.add_fault("lost_response", path=f"/{kind}/{object_id}$", method="DELETE")
    answer = getattr(hook, f"delete_{kind}")(object_id)
    assert answer["objectId"] == object_id and answer["recovered"] is True
    # A delete of something that is not there, sent once, is still "not found".
    from signs_provider.opensign.errors import OpenSignNotFoundError

    with pytest.raises(OpenSignNotFoundError):
        getattr(hook, f"delete_{kind}")(object_id)


@pytest.mark.parametrize("fault", ["502", "malformed", "lost_response"])
def test_a_folder_or_template_create_with_an_unknown_outcome_says_so(hook, opensign, pdf, fault) -> None:
    """Folder names and template titles may repeat, so these creates cannot be looked for: the error
    must say that the object may exist (a bare "HTTP 502" invited a blind second create)."""
    opensign.control.add_fault(fault, path="/createfolder$", method="POST")
    with pytest.raises(AmbiguousWriteError, match="may have been (created|applied)"):
        hook.create_folder("Quarterly")
    opensign.control.add_fault(fault, path="/createtemplate$", method="POST")
    with pytest.raises(AmbiguousWriteError, match="may have been (created|applied)"):
        hook.create_template(
            pdf, title="T", signers=[{"role": "R", "widgets": [signer(**ADA)["widgets"][0]]}]
        )
    posts = [
        r
        for r in opensign.control.requests(method="POST")
        if r["path"].endswith(("/createfolder", "/createtemplate"))
    ]
    assert len(posts) == 2  # each sent once


def test_without_a_record_of_sending_nothing_is_sent(opensign, quick_connection) -> None:
    """A stale "not_sent" must never outlive a create that may have left: no record, no send."""

    class BrokenStore(StateStore):
        def set(self, key, value, *, retention=None):
            raise RuntimeError("state store unavailable")

    store = BrokenStore()
    store.values[SEND_STATE_KEY] = {"state": "not_sent"}
    with pytest.raises(RuntimeError, match="state store unavailable"):
        _send_operator().execute(task_context(RunningTask(try_number=2), store=store))
    assert opensign.control.count(method="POST") == 0


def test_an_unreadable_record_makes_the_retry_wait(opensign, quick_connection) -> None:
    class Unreadable(StateStore):
        def get(self, key, default=None):
            raise RuntimeError("state store unavailable")

    result = _send_operator().execute(task_context(RunningTask(try_number=2), store=Unreadable()))
    assert _looks(opensign) >= 2 and len(documents(opensign)) == 1 and not result["recovered"]


# -- issue 13 part 2: a retry resumes from the document id the previous try recorded -------------------


def _crashed_after_the_answer(store: StateStore | None, **kwargs) -> dict:
    """Try 1 runs to its end (OpenSign answered, the id is recorded); the worker then dies, so the
    task instance is retried although the document exists."""
    context = task_context(RunningTask(try_number=1), store=store)
    return _send_operator(**kwargs).execute(context)


def test_a_retry_after_a_crash_reads_the_recorded_document_instead_of_searching(
    opensign, quick_connection
) -> None:
    """Before: the retry searched the document lists for its marker (and read the signing links)."""
    store = StateStore()
    first = _crashed_after_the_answer(store)
    assert store.get(SEND_STATE_KEY) == {
        "state": "sent",
        "marker": first["marker"],
        "document_id": first["document_id"],
    }
    opensign.control.reset_requests()
    retry = _send_operator().execute(task_context(RunningTask(try_number=2), store=store))
    assert retry["document_id"] == first["document_id"] and retry["recovered"] is True
    assert retry["title"] == "Contract"
    # One read of the recorded document: no list searched, nothing sent.
    requests = opensign.control.requests()
    assert [(r["method"], r["path"].endswith(f"/document/{first['document_id']}")) for r in requests] == [
        ("GET", True)
    ]
    assert len(documents(opensign)) == 1


def test_without_a_task_state_store_the_retry_falls_back_to_the_marker_search(
    opensign, quick_connection
) -> None:
    """Airflow 3.2 (no ``task_state_store`` in the context): the retry finds the document by its marker."""
    first = _crashed_after_the_answer(None)
    opensign.control.reset_requests()
    retry = _send_operator().execute(task_context(RunningTask(try_number=2)))
    assert retry["document_id"] == first["document_id"] and retry["recovered"] is True
    assert _looks(opensign) >= 1 and opensign.control.count(method="POST") == 0
    assert len(documents(opensign)) == 1


def test_a_recorded_document_deleted_since_is_searched_for_then_sent_again(
    hook, opensign, quick_connection
) -> None:
    """A record is a shortcut, not a new rule: a document deleted since is handled as before records."""
    store = StateStore()
    first = _crashed_after_the_answer(store)
    hook.delete_document(first["document_id"])
    retry = _send_operator().execute(task_context(RunningTask(try_number=2), store=store))
    assert retry["document_id"] != first["document_id"] and not retry["recovered"]
    assert store.get(SEND_STATE_KEY)["document_id"] == retry["document_id"]


def test_a_record_about_another_marker_is_ignored(opensign, quick_connection) -> None:
    """A templated idempotency_key that renders differently on the retry names another document."""
    store = StateStore()
    first = _crashed_after_the_answer(store, idempotency_key="contract-1")
    opensign.control.reset_requests()
    retry = _send_operator(idempotency_key="contract-2").execute(
        task_context(RunningTask(try_number=2), store=store)
    )
    assert retry["document_id"] != first["document_id"] and retry["marker"] != first["marker"]
    assert opensign.control.count(method="GET", path=f"/document/{first['document_id']}$") == 0


# -- the same under a real `airflow dags test`: the worker "crashes" after OpenSign answered ------------

CRASH_DAG = '''
import json, os, time
from datetime import datetime, timedelta

from airflow.sdk import DAG
from signs_provider.opensign.operators import OpenSignSendForSignatureOperator

TIMES = os.environ["SIGNS_RETRY_TIMES"]


class CrashAfterTheAnswer(OpenSignSendForSignatureOperator):
    """Try 1 sends, then dies (as a worker killed after OpenSign answered); try 2 is timed."""

    def __init__(self, *, with_store, **kwargs):
        super().__init__(**kwargs)
        self.with_store = with_store

    def execute(self, context):
        if not self.with_store:
            context.pop("task_state_store", None)  # as on Airflow 3.2
        if context["ti"].try_number == 1:
            super().execute(context)
            raise RuntimeError("worker lost after the answer")
        started = time.time()
        result = super().execute(context)
        with open(TIMES, "a") as out:
            out.write(json.dumps({"task": self.task_id, "start": started, "end": time.time(),
                                  "recovered": result["recovered"], "document_id": result["document_id"]}) + "\\n")
        return result


with DAG("signs_retry_after_crash", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    for task_id, with_store in (("marker_search", False), ("task_state_store", True)):
        CrashAfterTheAnswer(
            task_id=task_id, with_store=with_store, retries=1, retry_delay=timedelta(seconds=0),
            file=os.environ["SIGNS_RETRY_PDF"], title="Contract",
            signers=[{"name": "Ada", "email": "ada@example.com",
                      "widgets": [{"type": "signature", "page": 1, "x": 60, "y": 700, "w": 150, "h": 50}]}],
        )
'''


def test_a_real_retry_after_a_worker_crash_costs_one_read(dags_test, emulator, tmp_path) -> None:
    """Issue 13 part 2, measured: both tasks send, "crash", and are retried by Airflow 3.3.2 itself.

    The task without a store (Airflow 3.2's path) searches the document lists for its marker; the one
    with it reads the recorded document once. Each sends one document in all.
    """
    from tests.opensign.conftest import make_pdf

    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "signs_retry_after_crash.py").write_text(CRASH_DAG)
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(make_pdf())
    times = tmp_path / "times.jsonl"
    conn = json.loads(emulator.connections()["AIRFLOW_CONN_OPENSIGN_DEFAULT"])
    extra = conn.get("extra") or {}
    conn["extra"] = {**(json.loads(extra) if isinstance(extra, str) else extra), "timeout": 2}
    dags_test(
        "signs_retry_after_crash",
        env={
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW_CONN_OPENSIGN_DEFAULT": json.dumps(conn),
            "SIGNS_RETRY_TIMES": str(times),
            "SIGNS_RETRY_PDF": str(pdf),
        },
    )
    retries = {r["task"]: r for r in map(json.loads, times.read_text().splitlines())}
    requests = emulator.control.requests()
    cost = {}
    for task, timing in retries.items():
        during = [r for r in requests if timing["start"] <= r["time"] <= timing["end"]]
        cost[task] = (len(during), timing["end"] - timing["start"])
        assert timing["recovered"] is True
        assert not [r for r in during if r["method"] == "POST"]
    print(
        "retry after worker crash: {} requests/{:.2f} s before -> {} requests/{:.2f} s after".format(
            *cost["marker_search"], *cost["task_state_store"]
        )
    )
    assert cost["task_state_store"][0] == 1  # GET /document/<id>
    assert cost["marker_search"][0] >= 2  # the lists searched for the marker, then the signing links
    assert len(documents(emulator)) == 2  # one per task instance, none sent twice


def test_a_template_send_whose_server_keeps_no_marker_is_not_sent_twice_by_the_retry(
    hook, opensign, quick_connection, monkeypatch
) -> None:
    """The [INFERRED] server reading where a template send keeps neither the title nor the note: no
    marker survives, so before, the retry after a crash searched through the landing wait, found
    nothing, and sent a second document (a second credit, a second email to the signer)."""
    from tests.opensign.test_spec_fixes import _server_reading

    _server_reading(monkeypatch, keeps_title=False, keeps_note=False)
    template = _nda(hook)
    store = StateStore()
    before = credits_left(opensign)

    def operator() -> OpenSignSendTemplateOperator:
        return OpenSignSendTemplateOperator(
            task_id="send", template_id=template, signers=[{"role": "Counterparty", **ADA}]
        )

    first = operator().execute(task_context(RunningTask(try_number=1), store=store))  # then the crash
    opensign.control.reset_requests()
    started = time.monotonic()
    retry = operator().execute(task_context(RunningTask(try_number=2), store=store))
    seconds = time.monotonic() - started
    print(f"template send retry, no marker kept: {opensign.control.count()} request(s), {seconds:.2f} s")
    assert retry["document_id"] == first["document_id"]
    assert opensign.control.count() == 1 and credits_left(opensign) == before - 1
