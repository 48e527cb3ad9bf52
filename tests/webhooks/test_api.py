"""Staff API: admins register, list and remove receivers; the secret is shown once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.fixtures.api import auth


def test_admins_manage_endpoints(client: TestClient, tokens: dict[str, str]) -> None:
    body = {"url": "https://hooks.example.test/ombud", "events": ["request.completed"]}
    assert client.post("/api/v1/webhooks", json=body).status_code == 401
    assert (
        client.post(
            "/api/v1/webhooks", json=body, headers=auth(tokens["privacy_officer"])
        ).status_code
        == 403
    )
    created = client.post("/api/v1/webhooks", json=body, headers=auth(tokens["admin"]))
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_") and len(endpoint["secret"]) > 30
    listed = client.get("/api/v1/webhooks", headers=auth(tokens["admin"]))
    assert [e["id"] for e in listed.json()] == [endpoint["id"]]
    assert "secret" not in listed.json()[0]

    bad_url = client.post(
        "/api/v1/webhooks", json={"url": "javascript:alert(1)"}, headers=auth(tokens["admin"])
    )
    assert bad_url.status_code == 422 and "http://" in bad_url.json()["error"]
    bad_event = client.post(
        "/api/v1/webhooks",
        json={"url": "https://x.example.test/h", "events": ["request.eaten"]},
        headers=auth(tokens["admin"]),
    )
    assert bad_event.status_code == 422 and "request.eaten" in bad_event.json()["error"]

    deliveries = client.get(
        "/api/v1/webhooks/deliveries?status=failed", headers=auth(tokens["viewer"])
    )
    assert deliveries.status_code == 200 and deliveries.json() == []

    gone = client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=auth(tokens["admin"]))
    assert gone.status_code == 204
    again = client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=auth(tokens["admin"]))
    assert again.status_code == 404
    assert client.get("/api/v1/webhooks", headers=auth(tokens["admin"])).json() == []


def test_task_api_for_unknown_requests_and_tasks(
    client: TestClient, tokens: dict[str, str]
) -> None:
    missing = client.get("/api/v1/requests/nope/tasks", headers=auth(tokens["viewer"]))
    assert missing.status_code == 404 and "nope" in missing.json()["error"]
    resend = client.post(
        "/api/v1/requests/nope/tasks/none/resend", headers=auth(tokens["privacy_officer"])
    )
    assert resend.status_code == 404
    forged = client.get("/tasks/" + "x" * 40, headers={"Accept": "text/html"})
    assert forged.status_code == 403 and "not valid" in forged.text
