"""`python -m app.simulator`: the Twilio REST stand-in on its own, next to `make run`.

On the embedded defaults Backline sends SMS (and `backline twilio configure`) to
http://127.0.0.1:5001 with the local development credentials. This serves that address, prints
each SMS it is given (numbers cut to their last four digits), and reports it to the message's
status callback as Twilio would, signed: `delivered` by default, or `--status undelivered` to
watch the SNS fallback. `backline simulate-call` starts its own stand-in on the same port: stop
this one first.
"""

from __future__ import annotations

import argparse
import time

import requests

from app.core.config import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, SIMULATOR_API_URL
from app.core.phone import last_four
from app.twilio.simulator.media_server import MediaServer, MediaState
from app.twilio.simulator.signed_client import SignedClient

STATUSES = {"delivered": None, "undelivered": "30007", "failed": "30008", "none": None}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.twilio.simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=int(SIMULATOR_API_URL.rsplit(":", 1)[1]))
    parser.add_argument("--status", choices=sorted(STATUSES), default="delivered")
    args = parser.parse_args()
    state = MediaState(DEV_ACCOUNT_SID, DEV_AUTH_TOKEN)
    client = SignedClient(DEV_AUTH_TOKEN, timeout=5)
    reported: set[str] = set()
    with MediaServer(state, port=args.port) as server:
        print(
            f"Twilio stand-in at {server.url} (account {DEV_ACCOUNT_SID}); Ctrl-C stops it.",
            flush=True,
        )
        try:
            while True:
                time.sleep(0.2)
                for sid in [s for s in list(state.messages) if s not in reported]:
                    reported.add(sid)
                    _show_and_report(client, sid, state.messages[sid], args.status)
        except KeyboardInterrupt:
            pass


def _show_and_report(client: SignedClient, sid: str, sms: dict[str, str], status: str) -> None:
    print(f"SMS {sid} to {last_four(sms['to'])}: {sms['body']}", flush=True)
    callback = sms.get("status_callback")
    if status == "none" or not callback:
        return
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": DEV_ACCOUNT_SID,
        "MessageStatus": status,
        "SmsStatus": status,
        "To": sms["to"],
        "ApiVersion": "2010-04-01",
    }
    if STATUSES[status]:
        params["ErrorCode"] = str(STATUSES[status])
    try:
        answer = client.post(callback, params)
        print(f"  reported {status} to {callback}: HTTP {answer.status_code}", flush=True)
    except requests.RequestException as exc:
        print(f"  could not report {status} to {callback}: {type(exc).__name__}", flush=True)


if __name__ == "__main__":
    main()
