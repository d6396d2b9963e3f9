"""Signed, expiring listen links: the right bytes for a good link, a clear refusal otherwise."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from app.core.extensions import db, storage
from app.models import Voicemail, VoicemailStatus
from app.security.listen_links import listen_url
from app.twilio.simulator.audio import make_wav
from tests.conftest import ACCOUNT_SID, PUBLIC_URL, SmtpSink
from tests.helpers import mp3_attachment, mp3_duration
from tests.support.aws import S3Server
from voicemail.audio import wav_to_mp3
from voicemail.storage import storage_from_url

DAY = 24 * 3600


@pytest.fixture(scope="module")
def mp3() -> bytes:
    return wav_to_mp3(make_wav(2.0)).mp3


def _voicemail(mp3: bytes | None, status: str = VoicemailStatus.STORED) -> Voicemail:
    """A voicemail row, its MP3 stored under its key when given."""
    sid = "RE" + secrets.token_hex(16)
    row = Voicemail(
        recording_sid=sid,
        account_sid=ACCOUNT_SID,
        call_sid="CA" + secrets.token_hex(16),
        status=status,
        mp3_key=f"voicemails/test/{sid}.mp3" if mp3 is not None else None,
    )
    db.session.add(row)
    db.session.commit()
    if mp3 is not None and row.mp3_key:
        storage().put(row.mp3_key, mp3, "audio/mpeg")
    return row


def _path(url: str) -> str:
    assert url.startswith(PUBLIC_URL + "/voicemail/listen/"), url
    return url.removeprefix(PUBLIC_URL)


def _signed_days_ago(app: Flask, payload: list[int], days: float) -> str:
    """A token signed `days` ago, as if it had sat in an inbox since then."""

    class EarlierSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - days * DAY)

    serializer = URLSafeTimedSerializer(
        app.config["BACKLINE_SECRET_KEY"], salt="listen", signer=EarlierSigner
    )
    return str(serializer.dumps(payload))


def test_a_valid_link_plays_the_stored_mp3(client: FlaskClient, mp3: bytes) -> None:
    voicemail = _voicemail(mp3)
    response = client.get(_path(listen_url(voicemail.id)))
    assert response.status_code == 200
    assert response.data == mp3
    assert response.mimetype == "audio/mpeg"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert {"private", "no-store"} <= {
        part.strip() for part in response.headers["Cache-Control"].split(",")
    }
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Accept-Ranges"] == "bytes"


def test_a_range_request_gets_that_part_of_the_mp3(client: FlaskClient, mp3: bytes) -> None:
    voicemail = _voicemail(mp3)
    response = client.get(_path(listen_url(voicemail.id)), headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response.data == mp3[100:200]
    assert response.headers["Content-Range"] == f"bytes 100-199/{len(mp3)}"


def test_the_link_follows_backline_public_url_with_its_path_prefix(app: Flask) -> None:
    app.config["BACKLINE_PUBLIC_URL"] = "https://calls.provider.example/backline/"
    assert listen_url(7).startswith("https://calls.provider.example/backline/voicemail/listen/")


def test_the_emailed_voicemail_can_be_heard_through_a_link(
    client: FlaskClient, twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100")
    outage()
    recording_sid = twilio.leave_voicemail("+14155550100", seconds=3)
    (message,) = smtp.wait_for(1)
    db.session.rollback()
    voicemail = db.session.query(Voicemail).filter_by(recording_sid=recording_sid).one()
    response = client.get(_path(listen_url(voicemail.id)))
    assert response.status_code == 200
    assert response.data == mp3_attachment(message)
    assert mp3_duration(response.data) == pytest.approx(3.0, abs=0.3)


def _tampered(token: str) -> str:
    position = len(token) - 5  # inside the signature
    replacement = "A" if token[position] != "A" else "B"
    return token[:position] + replacement + token[position + 1 :]


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda app, vm: _tampered(listen_url(vm.id).rsplit("/", 1)[1]), id="tampered"),
        pytest.param(
            lambda app, vm: URLSafeTimedSerializer("another key", salt="listen").dumps(
                [vm.id, DAY]
            ),
            id="another-key",
        ),
        pytest.param(
            lambda app, vm: URLSafeTimedSerializer(
                app.config["BACKLINE_SECRET_KEY"], salt="status"
            ).dumps([vm.id, DAY]),
            id="another-purpose",
        ),
        pytest.param(
            lambda app, vm: URLSafeTimedSerializer(
                app.config["BACKLINE_SECRET_KEY"], salt="listen"
            ).dumps({"voicemail": vm.id}),
            id="not-a-listen-payload",
        ),
        pytest.param(lambda app, vm: "not-a-token", id="garbage"),
    ],
)
def test_a_link_that_is_not_ours_is_404_with_a_sentence(
    app: Flask, client: FlaskClient, mp3: bytes, make_token: Any
) -> None:
    voicemail = _voicemail(mp3)
    response = client.get(f"/voicemail/listen/{make_token(app, voicemail)}")
    assert response.status_code == 404
    assert "listen link is not valid" in response.text
    assert response.data != mp3


def test_an_expired_link_is_410_and_points_to_the_attachment(
    client: FlaskClient, mp3: bytes
) -> None:
    voicemail = _voicemail(mp3)
    response = client.get(_path(listen_url(voicemail.id, expires_in=timedelta(seconds=-1))))
    assert response.status_code == 410
    assert "expired" in response.text
    assert "attached" in response.text
    assert response.data != mp3


@pytest.mark.parametrize(
    ("link_days", "age_days", "status"),
    [(30, 29, 200), (30, 31, 410), (2, 1, 200), (2, 3, 410)],
)
def test_links_last_backline_listen_link_days(
    app: Flask, client: FlaskClient, mp3: bytes, link_days: int, age_days: int, status: int
) -> None:
    app.config["BACKLINE_LISTEN_LINK_DAYS"] = link_days
    voicemail = _voicemail(mp3)
    fresh = listen_url(voicemail.id).rsplit("/", 1)[1]
    lifetime = URLSafeTimedSerializer(app.config["BACKLINE_SECRET_KEY"], salt="listen").loads(
        fresh
    )[1]
    assert lifetime == link_days * DAY
    token = _signed_days_ago(app, [voicemail.id, lifetime], age_days)
    assert client.get(f"/voicemail/listen/{token}").status_code == status


def test_the_default_lifetime_is_thirty_days(app: Flask) -> None:
    assert app.config["BACKLINE_LISTEN_LINK_DAYS"] == 30


def test_an_unknown_voicemail_is_404(client: FlaskClient) -> None:
    response = client.get(_path(listen_url(987654)))
    assert response.status_code == 404
    assert "no recording to play" in response.text


@pytest.mark.parametrize("status", [VoicemailStatus.FAILED, VoicemailStatus.RECEIVED])
def test_a_voicemail_without_audio_is_404(client: FlaskClient, status: str) -> None:
    voicemail = _voicemail(None, status=status)
    response = client.get(_path(listen_url(voicemail.id)))
    assert response.status_code == 404
    assert "no recording to play" in response.text


def test_a_voicemail_whose_audio_was_purged_is_404(client: FlaskClient, mp3: bytes) -> None:
    voicemail = _voicemail(mp3)
    storage().delete(voicemail.mp3_key or "")
    response = client.get(_path(listen_url(voicemail.id)))
    assert response.status_code == 404
    assert "no recording to play" in response.text


def test_storage_down_is_503_with_a_sentence_then_plays_again(
    app: Flask, client: FlaskClient, mp3: bytes, s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.url)
    app.extensions["backline.storage"] = storage_from_url(
        f"s3://{s3.bucket}/listen-{secrets.token_hex(4)}"
    )
    voicemail = _voicemail(mp3)
    path = _path(listen_url(voicemail.id))
    with s3.down():
        started = time.monotonic()
        response = client.get(path)
        assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert "cannot be fetched right now" in response.text
    assert response.headers["Retry-After"]
    recovered = client.get(path)
    assert recovered.status_code == 200
    assert recovered.data == mp3
