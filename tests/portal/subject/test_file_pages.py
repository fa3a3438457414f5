"""The signed-in subject's file page, hiding positive records, and the access log page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import PERSON, penalty
from tests.me.records import PERSON_NAME, bearer, submit, volunteer
from tests.portal.subject.support import MakeKey, SubjectKey, count, html, sign_in
from tests.restorations.support import public_id
from xinyong.auth.keys import Role
from xinyong.db.tables import audit_log, hidden_records

MASKED = "3405**********001X"


def test_the_file_page_shows_non_public_records_and_the_own_number(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    # a person's administrative penalty is for the subject and authorities only
    fine = submit(
        client, make_key("market_regulation"), penalty("P1", PERSON, PERSON_NAME, kind="person")
    )
    volunteering = submit(client, make_key("civil_affairs"), volunteer("V1", PERSON))
    sign_in(client, subject_key(PERSON))

    r = client.get("/me?lang=en")
    assert r.headers["cache-control"] == "no-store"  # no cache keeps the own file
    page = html(client, "/me?lang=en")
    assert PERSON in page  # the subject sees its own number
    assert MASKED in page  # and how others see it
    assert f'id="record-{fine}"' in page
    assert f'id="record-{volunteering}"' in page
    assert "You and authorities only" in page
    assert "Not public today" in page
    assert "厦市监罚〔2026〕P1号" in page
    assert f'href="/me/objections/new?record={fine}"' in page
    assert f'href="/me/restorations/new?record={fine}"' in page
    assert 'href="/api/v1/me/report.pdf"' in page
    assert 'href="/api/v1/me/file"' in page

    # nothing of this person is public: no public page at all
    public = html(client, f"/entities/{public_id(engine, PERSON)}?lang=en", status=404)
    assert "厦市监罚〔2026〕P1号" not in public
    assert "See your public page" not in page

    # the export is the API's JSON file, with the session cookie
    r = client.get("/api/v1/me/file")
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment;")
    assert {x["id"] for x in r.json()["records"]} == {fine, volunteering}
    # and the signed report, the subject's full view
    r = client.get("/api/v1/me/report.pdf")
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"%PDF-")


def test_a_positive_record_is_hidden_and_shown_again_from_the_file_page(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    record = submit(client, make_key("civil_affairs"), volunteer("V1", PERSON))
    fine = submit(
        client, make_key("market_regulation"), penalty("P1", PERSON, PERSON_NAME, kind="person")
    )
    sign_in(client, subject_key(PERSON))
    admin = bearer(make_key(role=Role.admin))

    def authority_sees() -> bool:
        r = client.get(
            f"/api/v1/entities/{PERSON}/file", params={"purpose": "volunteer award"}, headers=admin
        )
        assert r.status_code == 200, r.text
        return record in [x["id"] for x in r.json()["records"]]

    page = html(client, "/me?lang=en")
    assert f'action="/me/records/{record}/hidden"' in page
    assert f'action="/me/records/{fine}/hidden"' not in page  # a fine cannot be hidden
    assert authority_sees()

    r = client.post(f"/me/records/{record}/hidden", data={"hidden": "yes"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/me#record-{record}"
    assert not authority_sees()
    page = html(client, "/me?lang=en")
    assert "Hidden by you" in page
    assert "Show this record to others again" in page

    r = client.post(f"/me/records/{record}/hidden", data={"hidden": "no"}, follow_redirects=False)
    assert r.status_code == 303
    assert authority_sees()
    assert "Hidden by you" not in html(client, "/me?lang=en")
    assert count(engine, hidden_records) == 2  # every choice kept

    # a record that may not be hidden: a clear error page, nothing written
    r = client.post(f"/me/records/{fine}/hidden", data={"hidden": "yes"})
    assert r.status_code == 409
    assert "cannot_hide" in r.text
    assert 'role="alert"' in r.text
    assert count(engine, hidden_records) == 2
    assert count(engine, audit_log, audit_log.c.action == "record.hidden") == 1


def test_another_subjects_record_cannot_be_hidden(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    record = submit(client, make_key("civil_affairs"), volunteer("V1", PERSON))
    other = "11010519491231002X"
    submit(client, make_key("civil_affairs"), volunteer("V2", other, "李四"))
    sign_in(client, subject_key(other))
    r = client.post(f"/me/records/{record}/hidden", data={"hidden": "yes"})
    assert r.status_code == 404
    assert "unknown_record" in r.text
    assert count(engine, hidden_records) == 0


def test_the_access_log_page_shows_who_read_the_file_and_why(
    client: TestClient, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    submit(client, make_key("market_regulation"), penalty("P1", PERSON, PERSON_NAME, kind="person"))
    admin = bearer(make_key(role=Role.admin))
    for n in range(3):
        r = client.get(
            f"/api/v1/entities/{PERSON}/file",
            params={"purpose": f"licence review {n}"},
            headers=admin,
        )
        assert r.status_code == 200, r.text
    sign_in(client, subject_key(PERSON))
    page = html(client, "/me/access-log?lang=en")
    assert "Who read my file" in page
    for n in range(3):
        assert f"licence review {n}" in page
    assert page.index("licence review 2") < page.index("licence review 0")  # newest first
    assert '<th scope="col">' in page
    assert "licence review 2" in html(client, "/me?lang=en")  # the latest on the file page

    r = client.get("/me/access-log?after=garbage")
    assert r.status_code == 400
    assert "invalid_cursor" in r.text
