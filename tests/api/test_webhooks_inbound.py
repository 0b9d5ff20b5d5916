"""Inbound Standard Webhooks over real HTTP: authenticity, freshness, exactly-once, payload rules,
the inbox (accepted as 202, applied by the worker job run explicitly here) and events that find no
dossier yet."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import psycopg
from click.testing import CliRunner
from sqlalchemy import event, func, select

from engine.cli.main import main
from engine.scheduler import Settings
from engine.store.models import AuditEvent, ProcessInstance
from engine.wiring import periodic_jobs
from webhooks import inbound
from webhooks.admin import add_secret, deliveries, retire_secret, secrets_of
from webhooks.inbound import MAX_RETRIES, RETRY_DELAYS, Receiver
from webhooks.models import WebhookMessage
from webhooks.signing import new_secret
from webhooks.sources import load_sources

from .conftest import DATA

MELDING = {"kenmerk": "GB-2027-001", "titel": "Grensarbeiders en pensioen", "ernst": 3}


def instance_count(engine) -> int:
    with engine.db.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance))


def outcomes(engine) -> list[tuple[str, int]]:
    return [(d.outcome, d.http_status) for d in reversed(deliveries(engine))]


def test_a_signed_event_is_queued_and_the_worker_starts_its_dossier(site):
    response = site.webhook("proef", "melding.nieuw", MELDING, message_id="msg_start")
    assert response.status_code == 202, response.text
    assert response.headers["API-Version"]
    assert response.json() == {"status": "queued", "webhookId": "msg_start", "eventType": "melding.nieuw"}
    assert instance_count(site.engine) == 0, "the command waits for the worker"
    assert site.process_inbox() == 1
    again = site.webhook("proef", "melding.nieuw", MELDING, message_id="msg_start")
    assert again.status_code == 200
    reply = again.json()
    assert reply["status"] == "accepted" and reply["eventType"] == "melding.nieuw"
    instance = site.engine.query.instance(reply["processInstanceId"])
    assert (instance.business_key, instance.title, instance.waiting_at) == ("GB-2027-001", MELDING["titel"],
                                                                          ["beoordelen"])
    assert site.engine.query.variables(instance.id)["ernst"] == 3
    assert [e.actor for e in site.engine.query.history(instance.id)][0] == "webhook:proef"
    assert outcomes(site.engine) == [("queued", 202), ("accepted", 200), ("duplicate", 200)]
    assert site.process_inbox() == 0, "applied once"


def test_the_scheduler_job_runs_the_inbox(site, monkeypatch):
    monkeypatch.setenv("GROS_WEBHOOK_SOURCES", str(DATA / "bronnen"))
    jobs = {name: job for name, _, job in periodic_jobs(site.engine, Settings())}
    assert site.webhook("proef", "melding.nieuw", MELDING).status_code == 202
    assert jobs["webhook-inbox"]() == 1
    assert instance_count(site.engine) == 1


@contextmanager
def sent_to_the_driver(engine) -> Iterator[list[str]]:
    """The first word of every statement the database driver runs on a pooled connection meanwhile: what
    SQLite executes (its trace callback) or what psycopg sends (its cursors), past SQLAlchemy."""
    statements: list[str] = []

    class Recording(psycopg.Cursor):
        def execute(self, query, *args, **kwargs):
            statements.append(str(query).split()[0])
            return super().execute(query, *args, **kwargs)

    def watch(dbapi_connection, *_rest) -> None:
        if engine.db.is_sqlite:
            dbapi_connection.set_trace_callback(lambda statement: statements.append(statement.split()[0]))
        else:
            dbapi_connection.cursor_factory = Recording

    def unwatch(dbapi_connection, *_rest) -> None:
        if engine.db.is_sqlite:
            dbapi_connection.set_trace_callback(None)
        else:
            dbapi_connection.cursor_factory = psycopg.Cursor

    event.listen(engine.db.engine, "checkout", watch)
    event.listen(engine.db.engine, "checkin", unwatch)
    try:
        yield statements
    finally:
        event.remove(engine.db.engine, "checkout", watch)
        event.remove(engine.db.engine, "checkin", unwatch)


def test_a_delivery_costs_one_statement_on_postgresql_once_its_secret_was_read(site):
    """Issue 18: the first delivery reads the source's secrets; from then on, one signed with a secret read before
    is stored by one statement (one round trip, in autocommit) on PostgreSQL that also checks the secret is still
    active; two INSERTs in SQLite's write transaction."""
    with sent_to_the_driver(site.engine) as first:
        assert site.webhook("proef", "melding.nieuw", MELDING).status_code == 202
    with sent_to_the_driver(site.engine) as second:
        assert site.webhook("proef", "melding.nieuw", {**MELDING, "kenmerk": "GB-2027-002"}).status_code == 202
    if site.engine.db.is_sqlite:
        assert (first, second) == (["BEGIN", "SELECT", "INSERT", "INSERT", "COMMIT"], ["BEGIN", "INSERT", "INSERT",
                                                                                       "COMMIT"])
    else:
        assert (first, second) == (["SELECT", "WITH"], ["WITH"])
    assert outcomes(site.engine) == [("queued", 202), ("queued", 202)]
    assert site.process_inbox() == 2 and instance_count(site.engine) == 2


def test_a_secret_added_or_retired_since_it_was_read_counts_at_the_next_delivery(site):
    """The web worker remembers which secrets it read, but a retired one it remembers stores nothing: the INSERT
    checks the secret is active; and a secret new to it is read when a delivery is signed with it."""
    first = site.webhook("proef", "melding.nieuw", MELDING, message_id="msg_oud")
    assert first.status_code == 202
    _, new = add_secret(site.engine, "proef", "test")
    signed_new = site.webhook("proef", "melding.nieuw", {**MELDING, "kenmerk": "NIEUW-1"}, secret=new)
    assert signed_new.status_code == 202, "read at once, not waiting for a cache to expire"
    [old_row] = [s for s in secrets_of(site.engine, "proef") if s.secret == site.secret]
    retire_secret(site.engine, old_row.id)
    refused = site.webhook("proef", "melding.nieuw", {**MELDING, "kenmerk": "OUD-2"}, message_id="msg_oud_2")
    assert refused.status_code == 401 and "actief geheim" in refused.json()["detail"]
    with site.engine.db.reading() as session:
        stored = session.scalars(select(WebhookMessage.webhook_id)).all()
    assert set(stored) == {"msg_oud", signed_new.json()["webhookId"]}, "nothing stored under the retired secret"
    assert outcomes(site.engine) == [("queued", 202), ("queued", 202), ("rejected", 401)]
    assert site.process_inbox() == 2


def test_a_wrong_signature_is_refused_and_logged(site):
    response = site.webhook("proef", "melding.nieuw", MELDING, secret=new_secret())
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "handtekening" in response.json()["detail"]
    assert instance_count(site.engine) == 0
    [logged] = deliveries(site.engine)
    assert (logged.outcome, logged.http_status, logged.message_id) == ("rejected", 401, None)


def test_a_tampered_body_or_missing_headers_are_refused(site):
    body = json.dumps({"type": "melding.nieuw", "timestamp": "x", "data": MELDING}).encode()
    signed = site.webhook("proef", "melding.nieuw", MELDING, message_id="msg_1", body=body)
    assert signed.status_code == 202
    tampered = body.replace(b"Grensarbeiders", b"Grenswerkers")
    assert site.webhook("proef", "", {}, message_id="msg_2", body=tampered,
                        headers={"webhook-signature": signed.request.headers["webhook-signature"]}).status_code == 401
    bare = site.call("POST", "/webhooks/proef", None, data=body, headers={"Content-Type": "application/json"})
    assert bare.status_code == 401 and "verplicht" in bare.json()["detail"]
    garbage = site.webhook("proef", "melding.nieuw", MELDING, headers={"webhook-signature": "v1 v2,@@ ,"})
    assert garbage.status_code == 401
    assert site.process_inbox() == 1 and instance_count(site.engine) == 1


def test_rotated_secrets_are_all_accepted_until_retired(site):
    old = site.secret
    new_id, new = add_secret(site.engine, "proef", "test")
    assert site.webhook("proef", "melding.nieuw", {**MELDING, "kenmerk": "OUD-1"}, secret=old).status_code == 202
    assert site.webhook("proef", "melding.nieuw", {**MELDING, "kenmerk": "NIEUW-1"}, secret=new).status_code == 202
    [old_row] = [s for s in __import__("webhooks.admin").admin.secrets_of(site.engine, "proef") if s.secret == old]
    retire_secret(site.engine, old_row.id)
    assert site.webhook("proef", "melding.nieuw", {**MELDING, "kenmerk": "OUD-2"}, secret=old).status_code == 401
    both = site.webhook("proef", "melding.nieuw", {**MELDING, "kenmerk": "BEIDE-1"}, secret=old,
                        message_id="msg_beide")
    assert both.status_code == 401
    # A sender in the middle of rotating signs with both secrets; one valid signature is enough.
    text = json.dumps({"type": "melding.nieuw", "timestamp": "t", "data": {**MELDING, "kenmerk": "BEIDE-2"}})
    from standardwebhooks import Webhook
    now = site.engine.now()
    signature = " ".join(Webhook(s).sign("msg_rot", now, text) for s in (old, new))
    response = site.call("POST", "/webhooks/proef", None, data=text.encode(), headers={
        "webhook-id": "msg_rot", "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature})
    assert response.status_code == 202, response.text
    assert site.process_inbox() == 3
    assert new_id and instance_count(site.engine) == 3


def test_stale_or_future_timestamps_are_refused(site, clock):
    now = clock.now()
    stale = site.webhook("proef", "melding.nieuw", MELDING, at=now - timedelta(minutes=6))
    future = site.webhook("proef", "melding.nieuw", MELDING, at=now + timedelta(minutes=6))
    assert (stale.status_code, future.status_code) == (401, 401)
    assert "toegelaten is 300 s" in stale.json()["detail"]
    assert site.webhook("proef", "melding.nieuw", MELDING, at=now - timedelta(minutes=4)).status_code == 202


def test_the_same_delivery_twice_has_one_effect_and_one_answer(site):
    first = site.webhook("proef", "melding.nieuw", MELDING, message_id="msg_twice")
    second = site.webhook("proef", "melding.nieuw", MELDING, message_id="msg_twice")
    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json() == second.json()
    assert site.process_inbox() == 1
    assert instance_count(site.engine) == 1
    assert outcomes(site.engine) == [("queued", 202), ("duplicate", 202), ("accepted", 200)]


def test_concurrent_deliveries_of_one_event_have_one_effect(site):
    def deliver(_):
        return site.webhook("proef", "melding.nieuw", MELDING, message_id="msg_race")

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(deliver, range(8)))
    assert {r.status_code for r in replies} == {202}
    assert len({r.text for r in replies}) == 1
    logged = outcomes(site.engine)
    assert logged.count(("queued", 202)) == 1 and logged.count(("duplicate", 202)) == 7
    with ThreadPoolExecutor(4) as pool:  # workers on several nodes pick up the same event
        assert sum(pool.map(lambda _: site.process_inbox(), range(4))) == 1
    assert instance_count(site.engine) == 1


def test_the_same_kenmerk_under_a_new_webhook_id_answers_with_the_existing_dossier(site):
    """Issue 13, finding 2: one source reference, one dossier — also when a source resends it as new."""
    first = site.delivered("proef", "melding.nieuw", MELDING, message_id="msg_een")
    again = site.delivered("proef", "melding.nieuw", MELDING, message_id="msg_twee")
    assert again["processInstanceId"] == first["processInstanceId"]
    redelivered = site.webhook("proef", "melding.nieuw", MELDING, message_id="msg_twee")
    assert (redelivered.status_code, redelivered.json()) == (200, again)
    assert instance_count(site.engine) == 1
    assert outcomes(site.engine) == [("queued", 202), ("accepted", 200), ("queued", 202), ("duplicate", 200),
                                     ("duplicate", 200)]
    other = site.delivered("proef", "melding.nieuw", MELDING | {"kenmerk": "GB-2027-002"}, message_id="msg_drie")
    assert other["processInstanceId"] != first["processInstanceId"]
    assert instance_count(site.engine) == 2


def test_concurrent_deliveries_of_one_kenmerk_under_new_ids_start_one_dossier(site):
    def deliver(number):
        return site.webhook("proef", "melding.nieuw", MELDING, message_id=f"msg_kenmerk_{number}")

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(deliver, range(8)))
        assert {r.status_code for r in replies} == {202}
        assert sum(pool.map(lambda _: site.process_inbox(), range(4))) == 1
    started = {site.stored_reply("proef", r.json()["webhookId"])["processInstanceId"] for r in replies}
    assert len(started) == 1 and None not in started
    assert instance_count(site.engine) == 1


def test_payload_errors_are_all_named_and_the_answer_is_kept(site):
    bad = {"kenmerk": "kleine letters", "ernst": 9, "extra": True}
    response = site.webhook("proef", "melding.nieuw", bad, message_id="msg_bad")
    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400 and problem["title"] == "Ongeldige payload"
    names = {p["name"] for p in problem["invalidParams"]}
    assert names == {"/data/kenmerk", "/data/titel", "/data/ernst", "/data/extra"}
    assert site.webhook("proef", "melding.nieuw", bad, message_id="msg_bad").json() == problem
    unknown = site.webhook("proef", "onbekend.type", MELDING)
    assert unknown.status_code == 400 and "melding.nieuw" in unknown.json()["invalidParams"][0]["reason"]
    not_json = site.webhook("proef", "", {}, body=b"{niet json")
    assert not_json.status_code == 400
    no_envelope = site.webhook("proef", "", {}, body=b'{"data": 1}')
    assert {p["name"] for p in no_envelope.json()["invalidParams"]} == {"/type", "/timestamp", "/data"}
    assert instance_count(site.engine) == 0


def test_unknown_sources_are_answered_404_without_writing_anything(site):
    """Anyone can post to an unknown source; a log row per post would let them fill the database."""
    for i in range(200):
        response = site.call("POST", f"/webhooks/elders-{i % 3}", None, data=b"{}",
                             headers={"webhook-id": f"msg_{i}", "Content-Type": "application/json"})
        assert response.status_code == 404, response.text
    assert response.json()["title"] == "Onbekende bron" and "elders-1" in response.json()["detail"]
    assert site.webhook("elders", "melding.nieuw", MELDING).status_code == 404
    assert deliveries(site.engine) == [] and instance_count(site.engine) == 0


def test_an_oversized_body_is_refused_and_logged(site):
    big = {**MELDING, "titel": "x" * 5000}
    response = site.webhook("proef", "melding.nieuw", big)
    assert response.status_code == 413 and response.json()["status"] == 413
    assert outcomes(site.engine) == [("rejected", 413)]
    assert instance_count(site.engine) == 0


def test_text_that_cannot_be_stored_is_refused_naming_its_place(site):
    for text in ("\udc00", "a\x00b"):  # json.dumps writes them as escapes, as a sender would
        data = {"kenmerk": "GB-2027-009", "ernst": 2, "titel": text}
        body = json.dumps({"type": "melding.nieuw", "timestamp": "t", "data": data}).encode()
        response = site.webhook("proef", "", {}, body=body)
        assert response.status_code == 400, response.text
        assert {p["name"] for p in response.json()["invalidParams"]} == {"/data/titel"}
    assert instance_count(site.engine) == 0


def test_an_event_for_a_dossier_not_waiting_yet_is_kept_and_applied_when_redelivered(site):
    started = site.delivered("proef", "melding.nieuw", MELDING)["processInstanceId"]
    besluit = {"kenmerk": MELDING["kenmerk"], "besluit": "ja"}
    early = site.delivered("proef", "besluit.genomen", besluit, message_id="msg_besluit")
    assert early["status"] == 422
    assert "geen instantie wacht op bericht 'besluit-ontvangen'" in early["detail"]
    unmatched = site.webhook("proef", "besluit.genomen", besluit, message_id="msg_besluit")
    assert unmatched.status_code == 202, "a redelivery queues it again at once"
    assert site.process_inbox() == 0
    assert site.engine.query.instance(started).waiting_at == ["beoordelen"]
    [task] = site.engine.query.tasks(instance_id=started)
    assert site.api("POST", f"/task/{task.id}/complete", "secretaris").status_code == 204
    again = site.delivered("proef", "besluit.genomen", besluit, message_id="msg_besluit")
    assert again["status"] == "accepted" and again["processInstanceId"] == started
    assert site.engine.query.instance(started).waiting_at == ["verwerken"]
    assert site.engine.query.variables(started)["besluit"] == "ja"
    assert site.webhook("proef", "besluit.genomen", besluit, message_id="msg_besluit").json() == again
    assert outcomes(site.engine)[-7:] == [("queued", 202), ("unmatched", 422), ("queued", 202), ("unmatched", 422),
                                          ("queued", 202), ("accepted", 200), ("duplicate", 200)]


def test_unmatched_events_are_retried_by_the_inbox_worker(site, clock):
    started = site.delivered("proef", "melding.nieuw", MELDING)["processInstanceId"]
    besluit = {"kenmerk": MELDING["kenmerk"], "besluit": "nee"}
    assert site.delivered("proef", "besluit.genomen", besluit)["status"] == 422
    receiver = Receiver(site.engine, load_sources(DATA / "bronnen"))
    assert receiver.process_due(clock.advance(timedelta(minutes=2))) == 0
    [task] = site.engine.query.tasks(instance_id=started)
    site.api("POST", f"/task/{task.id}/complete", "secretaris")
    assert receiver.process_due(clock.now()) == 0, "not due yet: the second wait is five minutes"
    assert receiver.process_due(clock.advance(timedelta(minutes=5))) == 1
    assert site.engine.query.instance(started).waiting_at == ["verwerken"]
    with site.engine.db.reading() as session:
        message = session.scalars(select(WebhookMessage).where(WebhookMessage.event_type == "besluit.genomen")).one()
    assert (message.status, message.http_status, message.instance_id, message.next_retry_at) == (
        "accepted", 200, started, None)


def broken(*args, **kwargs):
    raise RuntimeError("schijf vol")


def test_an_unexpected_failure_on_arrival_is_logged_answered_500_and_the_event_can_come_again(
        site, monkeypatch, caplog):
    monkeypatch.setattr(inbound, "_enqueue", broken)
    failed = site.webhook("proef", "melding.nieuw", MELDING, message_id="msg_fout")
    assert failed.status_code == 500 and failed.headers["Content-Type"] == "application/problem+json"
    assert "schijf vol" in caplog.text, "the error is logged with its traceback"
    [logged] = deliveries(site.engine)
    assert (logged.outcome, logged.reason) == ("error", "RuntimeError: schijf vol")
    monkeypatch.undo()
    assert site.webhook("proef", "melding.nieuw", MELDING, message_id="msg_fout").status_code == 202
    assert site.process_inbox() == 1 and instance_count(site.engine) == 1


def test_an_unexpected_failure_in_the_worker_is_logged_and_the_event_waits_for_its_next_turn(
        site, clock, monkeypatch, caplog):
    monkeypatch.setattr(site.engine.runtime, "start_by_message", broken)
    assert site.webhook("proef", "melding.nieuw", MELDING).status_code == 202
    assert site.webhook("proef", "melding.nieuw", MELDING | {"kenmerk": "GB-2027-002"}).status_code == 202
    assert site.process_inbox() == 0
    assert "schijf vol" in caplog.text, "the error is logged with its traceback"
    assert outcomes(site.engine)[-2:] == [("error", 500), ("error", 500)], "one failure does not stop the others"
    assert deliveries(site.engine)[0].reason == "RuntimeError: schijf vol"
    monkeypatch.undo()
    assert site.process_inbox() == 0, "it waits before its next try"
    clock.advance(RETRY_DELAYS[0])
    assert site.process_inbox() == 2 and instance_count(site.engine) == 2


def message_of(engine, event_type: str) -> WebhookMessage:
    with engine.db.reading() as session:
        return session.scalars(select(WebhookMessage).where(WebhookMessage.event_type == event_type)).one()


def test_an_event_failing_every_try_is_given_up_as_failed_with_its_error_and_logged(
        site, clock, monkeypatch, caplog):
    monkeypatch.setattr(site.engine.runtime, "start_by_message", broken)
    assert site.webhook("proef", "melding.nieuw", MELDING).status_code == 202
    site.process_every_try(clock)
    message = message_of(site.engine, "melding.nieuw")
    assert (message.status, message.attempts, message.next_retry_at, message.last_error) == (
        "failed", MAX_RETRIES, None, "RuntimeError: schijf vol")
    assert outcomes(site.engine) == [("queued", 202)] + [("error", 500)] * MAX_RETRIES
    assert deliveries(site.engine)[0].reason == f"mislukt na {MAX_RETRIES} pogingen — RuntimeError: schijf vol"
    [given_up] = [r for r in caplog.records if "opgegeven" in r.getMessage()]
    assert given_up.levelname == "ERROR" and "schijf vol" in given_up.getMessage()
    monkeypatch.undo()
    clock.advance(timedelta(days=30))
    assert site.process_inbox() == 0 and len(deliveries(site.engine)) == 1 + MAX_RETRIES, "never tried again"


def test_an_event_still_without_its_dossier_after_every_try_is_given_up_and_a_redelivery_brings_it_back(
        site, clock):
    besluit = {"kenmerk": "GB-2027-404", "besluit": "nee"}
    response = site.webhook("proef", "besluit.genomen", besluit, message_id="msg_zonder_dossier")
    site.process_every_try(clock)
    message = message_of(site.engine, "besluit.genomen")
    assert (message.status, message.next_retry_at) == ("failed", None)
    assert "GB-2027-404" in message.last_error and "later" not in message.last_error, "why, not the old promise"
    assert deliveries(site.engine)[0].reason == f"mislukt na {MAX_RETRIES} pogingen — {message.last_error}"
    again = site.webhook("proef", "besluit.genomen", besluit, message_id="msg_zonder_dossier")
    assert (again.status_code, again.json()) == (202, response.json()), "queued again at once"
    assert message_of(site.engine, "besluit.genomen").status == "queued"


def test_gros_webhooks_retry_requeues_the_failed_events_under_its_author_and_applies_them(site, clock, monkeypatch):
    monkeypatch.setattr(site.engine.runtime, "start_by_message", broken)
    site.webhook("proef", "melding.nieuw", MELDING, message_id="msg_cli")
    site.process_every_try(clock)
    monkeypatch.undo()
    monkeypatch.setenv("GROS_DATABASE_URL", site.engine.db.url)
    monkeypatch.setenv("GROS_WEBHOOK_SOURCES", str(DATA / "bronnen"))
    result = CliRunner().invoke(main, ["webhooks", "retry", "--by", "an.beheer", "--now", clock.now().isoformat(),
                                       "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"requeued": 1, "accepted": 1}
    assert instance_count(site.engine) == 1 and message_of(site.engine, "melding.nieuw").status == "accepted"
    assert outcomes(site.engine)[-2:] == [("queued", 202), ("accepted", 200)]
    assert deliveries(site.engine)[1].reason == "opnieuw in de wachtrij gezet door an.beheer"
    with site.engine.db.reading() as session:
        assert session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "webhook.requeued")).all() == [
            "an.beheer"]


def test_managers_read_deliveries_and_manage_subscribers_through_the_api(site):
    site.webhook("proef", "melding.nieuw", MELDING)
    site.webhook("proef", "melding.nieuw", {"kenmerk": "x"})
    listed = site.api("GET", "/webhook-delivery", "secretaris", params={"source": "proef"}).json()
    assert [(d["outcome"], d["httpStatus"]) for d in listed] == [("rejected", 400), ("queued", 202)]
    assert site.api("GET", "/webhook-delivery", params={"outcome": "queued"}).json()[0]["source"] == "proef"
    created = site.api("POST", "/webhook-subscriber", "secretaris", json={
        "name": "provincie", "url": "http://127.0.0.1:9/x", "eventTypes": ["dossier.gestart"]})
    assert created.status_code == 200 and created.json()["secret"].startswith("whsec_")
    again = site.api("POST", "/webhook-subscriber", "secretaris", json={"name": "provincie", "url": "http://x.nl"})
    assert again.status_code == 409
    wrong = site.api("POST", "/webhook-subscriber", json={"name": "Fout Naam", "url": "ftp://x", "eventTypes": ["x"]})
    assert {p["name"] for p in wrong.json()["invalidParams"]} == {"body/name", "body/url", "body/eventTypes/0"}
    [subscriber] = site.api("GET", "/webhook-subscriber").json()
    assert (subscriber["name"], subscriber["paused"], subscriber["pending"]) == ("provincie", False, 0)
    assert site.api("POST", "/webhook-subscriber/provincie/resume").status_code == 403, "management reads only"
    assert site.api("POST", "/webhook-subscriber/provincie/resume", "secretaris").json() == {"requeued": 0}
    assert site.api("POST", "/webhook-subscriber/niemand/resume", "secretaris").status_code == 404
