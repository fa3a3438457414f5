"""What no endpoint may receive is refused before anything is read."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_a_nul_character_in_a_path_or_query_is_refused(client: TestClient) -> None:
    for url in ("/api/v1/records/r%00x", "/api/v1/entities?q=a%00b", "/api/v1/lists/x%00"):
        r = client.get(url)
        assert (r.status_code, r.json()["code"]) == (400, "invalid_characters"), url
    assert client.get("/api/v1/entities", params={"q": "海"}).status_code == 200
