"""Every request body is bounded: 1 MiB, more only where a route needs it (the CSV imports).

The bodies here come from a stream that makes its bytes up as they are read and counts them,
so a test can tell "refused before it was read" from "read, then refused". Failure modes named
here: a 50 MiB multipart POST to the login page or the unsubscribe link is refused with 413
and a sentence (an HTML page, since people use both) before a byte of it is read, and the
unsubscribe does not happen; one sent chunked, without a length, is cut off near the limit;
the API answers JSON; a form Twilio could send, and a CSV import of several MiB, still pass.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder, TestResponse

from app.admin.accounts import set_admin
from app.core.extensions import db
from app.models import OptOut, Subscriber
from app.security.links import unsubscribe_url
from app.security.tokens import create_token
from tests.app.admin.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, browser, csrf, log_in
from tests.app.status_page.test_status_page import path_of
from tests.app.subscribers_csv_helpers import HEADER
from tests.conftest import TwilioHelper

MiB = 1024 * 1024
BOUNDARY = "backline-test-boundary"
FILE_PART = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="upload"; filename="big.bin"\r\n'
    "Content-Type: application/octet-stream\r\n\r\n"
).encode()


class MadeUpBody(io.RawIOBase):
    """A multipart body of `size` bytes (one endless file part), made up as it is read."""

    def __init__(self, size: int) -> None:
        self.size, self.position, self.bytes_read = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # the test client measures the body by seeking to its end

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = base + offset
        return self.position

    def readinto(self, buffer: Any) -> int:
        count = max(0, min(len(buffer), self.size - self.position))
        head = FILE_PART[self.position : self.position + count]
        buffer[:count] = head + b"x" * (count - len(head))
        self.position += count
        self.bytes_read += count
        return count


def post_made_up(client: FlaskClient, path: str, body: MadeUpBody, chunked: bool = False) -> Any:
    """POST `body` as multipart, with its length declared or (`chunked`) without one."""
    builder = EnvironBuilder(
        path=path,
        method="POST",
        input_stream=body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        base_url="https://backline.example",
    )
    environ = builder.get_environ()
    if chunked:  # the server de-chunked it and marked the stream's end
        del environ["CONTENT_LENGTH"]
        environ["wsgi.input_terminated"] = True
    return client.open(environ)


def assert_refused_page(answer: TestResponse) -> None:
    assert answer.status_code == 413
    assert answer.mimetype == "text/html"
    assert "The request body is larger than this address accepts: at most 1 MiB." in answer.text


def test_a_50_mib_login_post_is_refused_before_it_is_read(client: FlaskClient) -> None:
    body = MadeUpBody(50 * MiB)

    answer = post_made_up(client, "/admin/login", body)

    assert_refused_page(answer)
    assert body.bytes_read == 0


def test_a_chunked_login_post_is_cut_off_at_the_limit(client: FlaskClient) -> None:
    body = MadeUpBody(50 * MiB)

    answer = post_made_up(client, "/admin/login", body, chunked=True)

    assert answer.status_code == 413 and answer.mimetype == "text/html"
    assert "at most 1 MiB" in answer.text
    assert body.bytes_read <= 2 * MiB


def test_a_50_mib_unsubscribe_post_is_refused_and_unsubscribes_no_one(
    app: Flask, client: FlaskClient
) -> None:
    body = MadeUpBody(50 * MiB)

    answer = post_made_up(client, path_of(unsubscribe_url("email", "office@acme.example")), body)

    assert_refused_page(answer)
    assert body.bytes_read == 0
    assert db.session.scalar(select(func.count()).select_from(OptOut)) == 0


def test_the_api_refuses_a_50_mib_body_in_json(app: Flask, client: FlaskClient) -> None:
    _, secret = create_token(db.session(), "script")
    db.session.commit()
    body = MadeUpBody(50 * MiB)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"

    answer = post_made_up(client, "/api/v1/outages", body)

    assert answer.status_code == 413 and answer.is_json
    assert "larger than" in answer.get_json()["error"]
    assert body.bytes_read == 0


def test_a_signed_twilio_form_far_larger_than_twilio_sends_still_passes(
    twilio: TwilioHelper,
) -> None:
    params = twilio.call_params("+14155550100")
    params["CallerName"] = "x" * 200_000  # Twilio's forms are a few KiB

    assert twilio.post("/ivr/voice", params).status_code == 200


@pytest.mark.parametrize("via", ["admin", "api"])
def test_a_csv_import_of_several_mib_is_still_accepted(app: Flask, via: str) -> None:
    # One subscriber, then empty records (skipped on import) to make the file 3 MiB.
    content = f"{HEADER}\n+14155550100,Acme,ops@acme.example,,,,,\n" + ",,,,,,,\n" * 400_000
    assert len(content) > 3 * MiB
    if via == "admin":
        set_admin(db.session(), ADMIN_LOGIN, ADMIN_PASSWORD)
        db.session.commit()
        admin_client = browser(app)
        assert log_in(admin_client).status_code == 302
        token = csrf(admin_client, "/admin/subscribers/import")
        file = (io.BytesIO(content.encode()), "subscribers.csv", "text/csv")
        answer = admin_client.post(
            "/admin/subscribers/import", data={"file": file, "csrf_token": token}
        )
        assert answer.status_code == 302, answer.text[:500]
    else:
        _, secret = create_token(db.session(), "importer")
        db.session.commit()
        answer = app.test_client().post(
            "/api/v1/subscribers/import",
            data=content,
            content_type="text/csv",
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert answer.status_code in (200, 201), answer.text[:500]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 1
