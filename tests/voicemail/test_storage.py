"""Storage backends against real things: files on disk and S3 (moto server), up and down."""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.core.extensions import db
from app.core.storage import ObjectNotFound, Storage, StorageError
from app.models import Delivery, DeliveryState, Voicemail, VoicemailStatus
from forwarding.tasks import send_voicemail_email
from tests.conftest import SmtpSink, TwilioHelper
from tests.helpers import free_port, mp3_attachment
from tests.support.aws import S3Server
from voicemail.storage import LocalStorage, storage_from_url
from voicemail.storage_s3 import S3Storage
from voicemail.tasks import process_voicemail

# A dead S3 must fail an operation in seconds, so that a job gives way to its retry quickly.
FAIL_FAST_SECONDS = 5.0


@pytest.fixture
def s3_url(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A STORAGE_URL under a prefix of its own in the test bucket, with boto3 pointed at moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.url)
    return f"s3://{s3.bucket}/test-{secrets.token_hex(4)}"


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return storage_from_url(tmp_path.as_uri())
    return storage_from_url(request.getfixturevalue("s3_url"))


def test_put_get_exists_list_delete_round_trip(backend: Storage) -> None:
    backend.put("voicemails/2024/05/01/RE1.mp3", b"mp3 one", "audio/mpeg")
    backend.put("voicemails/2024/05/02/RE2.wav", b"wav two", "audio/wav")
    backend.put("pending/entry.json", b"{}", "application/json")
    backend.put("voicemails-elsewhere/RE3.mp3", b"not in voicemails/", "audio/mpeg")

    assert backend.get("voicemails/2024/05/01/RE1.mp3") == b"mp3 one"
    assert backend.exists("voicemails/2024/05/02/RE2.wav")
    assert not backend.exists("voicemails/2024/05/02/RE9.wav")
    assert backend.list("voicemails") == [
        "voicemails/2024/05/01/RE1.mp3",
        "voicemails/2024/05/02/RE2.wav",
    ]
    assert backend.list("voicemails/") == backend.list("voicemails")
    assert backend.list("pending/") == ["pending/entry.json"]
    assert backend.list("nothing-here/") == []
    assert len(backend.list("")) == 4

    backend.delete("voicemails/2024/05/01/RE1.mp3")
    assert not backend.exists("voicemails/2024/05/01/RE1.mp3")
    assert backend.list("voicemails") == ["voicemails/2024/05/02/RE2.wav"]
    backend.delete("voicemails/2024/05/01/RE1.mp3")  # deleting what is gone is fine


def test_a_second_put_replaces_the_object(backend: Storage) -> None:
    backend.put("a/key.mp3", b"first", "audio/mpeg")
    backend.put("a/key.mp3", b"second", "audio/mpeg")
    assert backend.get("a/key.mp3") == b"second"
    assert backend.list("a") == ["a/key.mp3"]


def test_reading_a_missing_object_is_object_not_found(backend: Storage) -> None:
    with pytest.raises(ObjectNotFound, match="no stored object"):
        backend.get("voicemails/never/stored.mp3")
    assert issubclass(ObjectNotFound, StorageError)


@pytest.mark.parametrize(
    "key", ["../outside.mp3", "a/../../outside.mp3", "/etc/passwd", "a/../../../etc/passwd"]
)
def test_storage_refuses_keys_that_escape_its_root(backend: Storage, key: str) -> None:
    for attempt in (
        lambda: backend.put(key, b"x", "audio/mpeg"),
        lambda: backend.get(key),
        lambda: backend.exists(key),
        lambda: backend.delete(key),
    ):
        with pytest.raises(StorageError, match="storage key"):
            attempt()


def test_local_storage_writes_nothing_outside_its_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    storage = LocalStorage(root)
    with pytest.raises(StorageError, match="escapes the storage directory"):
        storage.put("../outside.mp3", b"x", "audio/mpeg")
    with pytest.raises(StorageError, match="escapes the storage directory"):
        storage.list("../")
    assert not (tmp_path / "outside.mp3").exists()


def test_storage_urls_choose_the_backend(s3_url: str) -> None:
    assert isinstance(storage_from_url("file:///var/lib/backline/voicemail"), LocalStorage)
    s3 = storage_from_url("s3://my-bucket/some/prefix/")
    assert isinstance(s3, S3Storage)
    assert (s3.bucket, s3.prefix) == ("my-bucket", "some/prefix/")
    with pytest.raises(ValueError, match="names no bucket"):
        storage_from_url("s3:///prefix")
    with pytest.raises(ValueError, match="not supported"):
        storage_from_url("ftp://example.com/voicemail")


def test_s3_objects_land_under_the_prefix_encrypted_and_private(s3: S3Server, s3_url: str) -> None:
    storage = storage_from_url(s3_url)
    storage.put("voicemails/RE1.mp3", b"audio", "audio/mpeg")
    key = s3_url.split("/", 3)[3] + "/voicemails/RE1.mp3"
    client = s3.client()

    head = client.head_object(Bucket=s3.bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "audio/mpeg"
    grants = client.get_object_acl(Bucket=s3.bucket, Key=key)["Grants"]
    assert grants, "the object has no ACL at all"
    for grant in grants:
        assert grant["Grantee"]["Type"] == "CanonicalUser", f"not private: {grant}"
        assert "URI" not in grant["Grantee"], f"granted to a group: {grant}"


def test_s3_delete_removes_every_version(s3: S3Server, s3_url: str) -> None:
    storage = storage_from_url(s3_url)
    prefix = s3_url.split("/", 3)[3]
    storage.put("voicemails/RE1.mp3", b"first", "audio/mpeg")
    storage.put("voicemails/RE1.mp3", b"second", "audio/mpeg")
    storage.put("voicemails/RE1.mp3.keep", b"a neighbour", "audio/mpeg")
    client = s3.client()
    # A plain DELETE in a versioned bucket only hides the object behind a delete marker.
    client.delete_object(Bucket=s3.bucket, Key=f"{prefix}/voicemails/RE1.mp3")
    client.put_object(Bucket=s3.bucket, Key=f"{prefix}/voicemails/RE1.mp3", Body=b"third")

    def versions(key: str) -> list[dict[str, Any]]:
        listing = client.list_object_versions(Bucket=s3.bucket, Prefix=f"{prefix}/{key}")
        entries = listing.get("Versions", []) + listing.get("DeleteMarkers", [])
        return [entry for entry in entries if entry["Key"] == f"{prefix}/{key}"]

    assert len(versions("voicemails/RE1.mp3")) == 4  # three versions and a delete marker
    storage.delete("voicemails/RE1.mp3")
    assert versions("voicemails/RE1.mp3") == []
    assert len(versions("voicemails/RE1.mp3.keep")) == 1
    assert storage.get("voicemails/RE1.mp3.keep") == b"a neighbour"


def test_s3_list_pages_through_more_than_a_thousand_keys(s3: S3Server, s3_url: str) -> None:
    storage = storage_from_url(s3_url)
    keys = [f"pending/{n:05d}.json" for n in range(1003)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda key: storage.put(key, b"{}", "application/json"), keys))
    assert storage.list("pending/") == keys


def test_s3_errors_become_storage_errors_with_a_sentence(s3: S3Server, s3_url: str) -> None:
    missing_bucket = storage_from_url("s3://no-such-bucket-here/voicemail")
    with pytest.raises(
        StorageError, match=r"S3 refused to store s3://no-such-bucket-here/"
    ) as info:
        missing_bucket.put("a.mp3", b"x", "audio/mpeg")
    assert "NoSuchBucket" in str(info.value)
    with pytest.raises(StorageError, match="S3 refused to list"):
        missing_bucket.list("")
    with pytest.raises(StorageError, match="S3 refused to delete"):
        missing_bucket.delete("a.mp3")


@pytest.fixture
def s3_storage(s3_url: str) -> Storage:
    storage = storage_from_url(s3_url)
    storage.put("voicemails/RE0.mp3", b"kept before the outage", "audio/mpeg")
    storage.put("voicemails/RE1.mp3", b"also kept", "audio/mpeg")
    return storage


@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.put("voicemails/RE2.mp3", b"x", "audio/mpeg"),
        lambda s: s.get("voicemails/RE1.mp3"),
        lambda s: s.exists("voicemails/RE1.mp3"),
        lambda s: s.list("voicemails"),
        lambda s: s.delete("voicemails/RE1.mp3"),
    ],
    ids=["put", "get", "exists", "list", "delete"],
)
def test_s3_down_fails_fast_with_storage_error_and_recovers(
    s3: S3Server, s3_storage: Storage, operation: Any
) -> None:
    with s3.down():
        started = time.monotonic()
        with pytest.raises(StorageError, match=r"could not [a-z ]+ s3://.*Could not connect"):
            operation(s3_storage)
        assert time.monotonic() - started < FAIL_FAST_SECONDS
    operation(s3_storage)  # the same storage object works again once S3 is back
    assert s3_storage.get("voicemails/RE0.mp3") == b"kept before the outage"


def test_s3_down_when_the_recording_arrives_then_back_delivers_once(
    app: Flask,
    settings: dict[str, Any],
    s3: S3Server,
    s3_url: str,
    smtp: SmtpSink,
    media: Any,
    subscriber: Any,
    outage: Any,
) -> None:
    """S3 down: the voicemail job fails (rq would retry it); S3 back: stored and emailed once.

    The queue is unreachable in this app too, so nothing but this test runs the jobs: the stored
    row is what the sweeper would re-enqueue, and each direct call below is one attempt.
    """
    subscriber(number="+14155550100", emails=["office@acme.example"])
    outage()
    s3_app = create_app(
        {**settings, "STORAGE_URL": s3_url, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    )
    with s3_app.app_context():
        twilio = TwilioHelper(s3_app.test_client(), media)
        with s3.down():
            recording_sid = twilio.leave_voicemail("+14155550100", seconds=3)
            voicemail_id = db.session.scalar(
                select(Voicemail.id).where(Voicemail.recording_sid == recording_sid)
            )
            assert voicemail_id is not None
            with pytest.raises(StorageError, match="Could not connect"):
                process_voicemail(voicemail_id)
        db.session.rollback()
        voicemail = db.session.get(Voicemail, voicemail_id)
        assert voicemail is not None
        assert voicemail.status == VoicemailStatus.RECEIVED  # still there for the retry
        assert voicemail.deliveries == []

        process_voicemail(voicemail_id)  # the retry, with S3 back
        process_voicemail(voicemail_id)  # a repeated retry changes nothing
        db.session.rollback()
        voicemail = db.session.get(Voicemail, voicemail_id)
        assert voicemail is not None and voicemail.status == VoicemailStatus.STORED
        assert [d.address for d in voicemail.deliveries] == ["office@acme.example"]
        stored_mp3 = storage_from_url(s3_url).get(voicemail.mp3_key or "")
        for delivery in voicemail.deliveries:
            send_voicemail_email(delivery.id)
            send_voicemail_email(delivery.id)  # already accepted: not sent again
        db.session.rollback()
        states = db.session.scalars(select(Delivery.state)).all()

    (message,) = smtp.wait_for(1)
    assert message["To"] == "office@acme.example"
    assert mp3_attachment(message) == stored_mp3
    assert states == [DeliveryState.ACCEPTED]
