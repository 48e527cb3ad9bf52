"""The company's own systems hear about rights: an opt-out and a restriction set and lifted
arrive at a real receiver as signed webhooks, with references only."""

from __future__ import annotations

import json
from pathlib import Path

from ombud.webhooks import service as webhooks
from ombud.webhooks.signing import verify
from tests.dsr.demo import DemoSystem, demo_system
from tests.dsr.rights import add_ccpa_markings, submit
from tests.webhooks.receiver import Receiver, receiver

__all__ = ["demo_system", "receiver"]

EVENTS = ["opt_out", "restriction.set", "restriction.lifted"]


def test_opt_out_and_restriction_arrive_signed(
    demo_system: DemoSystem, receiver: Receiver, tmp_path: Path
) -> None:
    demo = demo_system
    add_ccpa_markings(demo, tmp_path)
    created = demo.client.post(
        "/api/v1/webhooks",
        json={"url": f"{receiver.url}/hooks", "events": EVENTS},
        headers=demo.officer,
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    victim = demo.victim()

    opt_out = submit(demo, type="opt_out_sale", email=victim.email, jurisdiction="ccpa")
    assert opt_out["status"] == "completed"
    rid = submit(demo, type="restriction", email=victim.email, jurisdiction="gdpr")["id"]
    demo.verify(rid, victim.email)
    demo.approve(rid)
    lift = demo.client.post(
        f"/api/v1/requests/{rid}/restriction/lift",
        json={"reason": "The accuracy of the data was confirmed."},
        headers=demo.officer,
    )
    assert lift.status_code == 200, lift.text

    webhooks.drain(demo.store, demo.settings)
    got = receiver.wait(3)
    bodies = [json.loads(r.body) for r in got]
    assert sorted((b["event"], b["data"]["request_id"]) for b in bodies) == sorted(
        [("opt_out", opt_out["id"]), ("restriction.set", rid), ("restriction.lifted", rid)]
    )
    for r in got:
        header = r.headers["Ombud-Signature"]
        stamp = int(header.split(",")[0].removeprefix("t="))
        assert verify(secret, header, r.body, now=stamp)
        assert not verify("whsec_not-the-secret", header, r.body, now=stamp)
        assert victim.email.encode() not in r.body  # references, never the person's data
    (opted,) = [b for b in bodies if b["event"] == "opt_out"]
    assert opted["data"]["type"] == "opt_out_sale" and opted["data"]["purposes"]
