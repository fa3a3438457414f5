"""Filing an objection from the subject area: the form, the case page, the mark on the
public page, statements, refusals that write nothing, and other subjects' cases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.portal.subject.support import (
    MakeKey,
    SubjectKey,
    case_id,
    count,
    html,
    no_objection,
    organisation_with_fine,
    sign_in,
)
from xinyong.db.tables import objections, statements

STATEMENT = "罚款已于上月全额缴纳，记录中的罚款金额有误。"


def file(client: TestClient, record_id: str, **data: str) -> str:
    """File an objection to a record through the form; the case's id."""
    form = {"target": record_id, "grounds": "error_or_omission", "statement": STATEMENT, **data}
    r = client.post("/me/objections/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    return case_id(r.headers["location"], "objections")


def test_an_objection_filed_from_the_form_marks_the_record_on_the_public_page(
    client: TestClient, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, record = organisation_with_fine(client, make_key)
    public = html(client, f"/entities/{code}?lang=en")
    assert "Under objection" not in public

    sign_in(client, subject_key(code))
    form = html(client, f"/me/objections/new?record={record}&lang=en")
    assert '<label for="grounds">' in form
    assert '<label for="statement">' in form
    assert 'maxlength="5000"' in form  # the limit of rights.yaml
    assert "The information is wrong or incomplete" in form  # grounds from rights.yaml
    assert f'name="target" value="{record}"' in form
    assert f"<code>{record}</code>" in form  # the record's facts are shown
    assert "5." in form  # decided within 5 working days

    oid = file(client, record)
    case = html(client, f"/me/objections/{oid}?lang=en")
    assert "Open, being decided" in case
    assert "To be decided by" in case
    assert "Working days left to decide" in case
    assert STATEMENT in case
    assert "Market" in case or "market_regulation" in case  # the decider

    public = html(client, f"/entities/{code}?lang=en")
    assert "Under objection" in public
    assert "异议" in html(client, f"/entities/{code}?lang=zh")

    mine = html(client, "/me?lang=en")
    assert f'href="/me/objections/{oid}"' in mine  # marked in the file, linking the case
    cases = html(client, "/me/cases?lang=en")
    assert f'href="/me/objections/{oid}"' in cases
    assert "Open, being decided" in cases


def test_a_statement_is_added_and_shown_beside_the_record(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, record = organisation_with_fine(client, make_key)
    sign_in(client, subject_key(code))
    oid = file(client, record)
    r = client.post(
        f"/me/objections/{oid}/statement",
        data={"text": "缴款凭证见附件。"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/me/objections/{oid}"
    assert "缴款凭证见附件。" in html(client, f"/me/objections/{oid}")
    assert "缴款凭证见附件。" in html(client, f"/entities/{code}")
    # an empty statement: refused with the reason, nothing written
    r = client.post(f"/me/objections/{oid}/statement", data={"text": "  "})
    assert r.status_code == 400
    assert "text_required" in r.text
    assert count(engine, statements) == 1


def test_a_refused_objection_shows_the_form_again_and_writes_nothing(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, record = organisation_with_fine(client, make_key)
    sign_in(client, subject_key(code))
    r = client.post(
        "/me/objections/new",
        data={"target": record, "grounds": "error_or_omission", "statement": ""},
        headers={"accept-language": "en"},
    )
    assert r.status_code == 400
    assert 'role="alert"' in r.text
    assert "statement_required" in r.text
    assert '<option value="error_or_omission" selected>' in r.text  # what was chosen is kept
    r = client.post(
        "/me/objections/new",
        data={"target": record, "grounds": "because", "statement": STATEMENT},
    )
    assert r.status_code == 400
    assert "unknown_grounds" in r.text
    assert STATEMENT in r.text  # the statement typed is kept
    r = client.post(
        "/me/objections/new",
        data={"target": record, "grounds": "error_or_omission", "statement": "x" * 5001},
    )
    assert r.status_code == 400
    assert "statement_too_long" in r.text
    no_objection(engine)

    file(client, record)
    r = client.post(
        "/me/objections/new",
        data={"target": record, "grounds": "error_or_omission", "statement": STATEMENT},
    )
    assert r.status_code == 409
    assert "objection_already_open" in r.text
    assert count(engine, objections) == 1


def test_a_cross_site_objection_is_refused(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, record = organisation_with_fine(client, make_key)
    sign_in(client, subject_key(code))
    form = {"target": record, "grounds": "error_or_omission", "statement": STATEMENT}
    for header in [{"origin": "https://evil.example"}, {"referer": "http://evil.example/x"}]:
        r = client.post("/me/objections/new", data=form, headers=header)
        assert r.status_code == 403
        assert "cross_site_request" in r.text
    no_objection(engine)
    # the same form from this site is fine
    r = client.post(
        "/me/objections/new",
        data=form,
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_another_subject_cannot_see_or_use_my_case_or_record(
    client: TestClient, engine: Engine, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, record = organisation_with_fine(client, make_key)
    other, _theirs = organisation_with_fine(client, make_key, seed=8202)
    sign_in(client, subject_key(code))
    oid = file(client, record)
    client.cookies.clear()

    sign_in(client, subject_key(other))
    r = client.get(f"/me/objections/{oid}")
    assert r.status_code == 404
    assert "objection_not_found" in r.text
    assert STATEMENT not in r.text
    r = client.post(f"/me/objections/{oid}/statement", data={"text": "not mine"})
    assert r.status_code == 404
    assert f"/me/objections/{oid}" not in html(client, "/me/cases")
    # my record is not theirs to object to, exactly as if it did not exist
    r = client.get(f"/me/objections/new?record={record}")
    assert r.status_code == 404
    assert "target_not_found" in r.text
    r = client.post(
        "/me/objections/new",
        data={"target": record, "grounds": "error_or_omission", "statement": STATEMENT},
    )
    assert r.status_code == 404
    assert count(engine, objections) == 1


def test_other_targets_and_bad_targets(
    client: TestClient, make_key: MakeKey, subject_key: SubjectKey
) -> None:
    code, record = organisation_with_fine(client, make_key)
    sign_in(client, subject_key(code))
    page = html(client, f"/me/objections/new?target=publicity:{record}&lang=en")
    assert "The publicity period of the record" in page
    page = html(client, "/me/objections/new?target=grade:city_grade&lang=en")
    assert "Your grade under" in page
    oid = file(client, "grade:city_grade", grounds="wrong_grade")
    assert "grade:city_grade" in html(client, f"/me/objections/{oid}")
    for bad, status, code_ in [
        ("nonsense:1", 400, "invalid_target"),
        ("", 400, "invalid_target"),
        ("listing:judgment_defaulters", 404, "target_not_found"),
        (f"r{'0' * 20}", 404, "target_not_found"),
    ]:
        r = client.get("/me/objections/new", params={"target": bad})
        assert r.status_code == status, bad
        assert code_ in r.text
