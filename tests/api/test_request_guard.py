"""What no endpoint may receive is refused before anything is read."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_a_nul_character_in_a_path_or_query_is_refused(client: TestClient) -> None:
    for url in ("/api/v1/records/r%00x", "/api/v1/entities?q=a%00b", "/api/v1/lists/x%00"):
        r = client.get(url)
        assert (r.status_code, r.json()["code"]) == (400, "invalid_characters"), url
    assert client.get("/api/v1/entities", params={"q": "海"}).status_code == 200


def test_a_page_gets_the_refusal_as_a_page(client: TestClient) -> None:
    """A browser that sends too much to a page is shown an HTML page, not JSON."""
    big = b"%PDF-" + b"x" * (3 * 1024 * 1024)
    r = client.post("/verify", files={"file": ("r.pdf", big, "application/pdf")})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert "payload_too_large" in r.text
    assert "<main" in r.text
    nul = client.get("/search", params={"q": "a\x00b"})
    assert nul.status_code == 400
    assert nul.headers["content-type"].startswith("text/html")
    api = client.get("/api/v1/entities", params={"q": "a\x00b"})
    assert api.headers["content-type"].startswith("application/json")
