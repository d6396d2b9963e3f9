"""Benchmark 3: one 60-second voicemail, from Twilio's recording callback to the email accepted
by SMTP, against raw ffmpeg plus smtplib doing the same conversion and send.

Backline's path is the production one: a signed POST to /voicemail/recording-status (the row
committed to PostgreSQL, the job queued on Redis), then a real `backline worker` downloads the
WAV from a local Twilio media stand-in, converts it, stores both files, and emails the MP3 to
an aiosmtpd sink. The baseline runs the same ffmpeg binary on the same WAV and sends one message
with that MP3 attached to the same sink, over one SMTP connection it keeps open from run to run,
as the worker keeps its own (like for like). Runs alternate, after one warm-up of each. With
BENCH_SMOKE=1 it is a 5-second voicemail, one run of each.
"""

from __future__ import annotations

import smtplib
import subprocess
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from flask import Flask

from app import create_app
from app.core.extensions import db, jobs
from app.models import Call, Subscriber
from app.twilio.simulator.audio import make_wav
from app.twilio.simulator.media_server import MediaServer, Recording
from voicemail.audio import MP3_BITRATE, ffmpeg_path

from . import voicemail_rig as rig
from .sizes import smoke as smoke_sizes
from .sizes import use_smoke_sizes
from .voicemail_report import Figures, Memory, report
from .voicemail_stages import Milestones, job_steps, milestones


def seconds() -> int:
    """The recording's length."""
    return 5 if smoke_sizes() else 60


def measured_runs() -> int:
    """Measured runs of each side."""
    return 1 if smoke_sizes() else 31  # 9 left the median ratio moving by 0.2 between runs


TARGET_RATIO = 1.5
SUBSCRIBER_NUMBER = "+14155550100"
CALLBACK_PATH = "/voicemail/recording-status"
ENCODE = ("-b:a", MP3_BITRATE, "-f", "mp3")  # what pydub asks ffmpeg for, minus its tags


def run(smoke: bool = False) -> str:
    """Measure both paths and return the Markdown section."""
    if smoke:
        use_smoke_sizes()
    wav = make_wav(seconds())
    with (
        tempfile.TemporaryDirectory(prefix="bench-voicemail-") as tmp,
        rig.smtp_sink() as (sink, smtp_port),
        rig.media_server() as media,
    ):
        work = Path(tmp)
        (work / "caller.wav").write_bytes(wav)
        config = rig.settings(work / "instance", smtp_port, media)
        rig.reset_stores()
        app = create_app(config)
        with (
            rig.quiet_logs(),
            rig.backline_worker(config, work / "worker.log") as worker_pid,
            smtplib.SMTP("127.0.0.1", smtp_port) as baseline_smtp,
        ):
            bench = Rig(app, media, sink, smtp_port, work, worker_pid, baseline_smtp)
            try:
                figures = _measure(bench, wav)
            except TimeoutError as exc:
                raise RuntimeError(f"{exc}\n{(work / 'worker.log').read_text()[-3000:]}") from exc
    return report(figures)


@dataclass(frozen=True)
class Rig:
    app: Flask
    media: MediaServer
    sink: rig.TimedSink
    smtp_port: int
    work: Path
    worker_pid: int
    baseline_smtp: smtplib.SMTP  # opened once, like the worker's connection


def _measure(bench: Rig, wav: bytes) -> Figures:
    """One warm-up of each path, then measured_runs() of each, alternating, each from an idle queue."""
    subscriber_id = _add_subscriber(bench.app)
    _run_pair(bench, wav, subscriber_id)  # warms imports, connections and caches
    resting_kib = rig.rss_kib(bench.worker_pid, "VmRSS")
    pairs = [_run_pair(bench, wav, subscriber_id) for _ in range(measured_runs())]
    memory = Memory(resting_kib, rig.rss_kib(bench.worker_pid, "VmHWM"))
    steps = job_steps(bench.app, bench.media, wav)
    sizes = (len(wav), len(bench.sink.raw[-1]))
    runs, baselines = [run for _, run in pairs], [baseline for baseline, _ in pairs]
    return Figures(runs, baselines, steps, memory, sizes, TARGET_RATIO)


def _run_pair(bench: Rig, wav: bytes, subscriber_id: int) -> tuple[tuple[float, float], Milestones]:
    """The baseline, then Backline, each starting with the worker idle."""
    baseline = _baseline_run(bench.work, bench.baseline_smtp)
    _settle(bench.app)
    backline = _backline_run(bench, wav, subscriber_id)
    _settle(bench.app)  # the worker records the attempt after the sink has the email
    return baseline, backline


def _settle(app: Flask) -> None:
    with app.app_context():
        if not jobs.wait_idle(60):
            raise TimeoutError("the worker's queues did not go idle within 60 s")


def _add_subscriber(app: Flask) -> int:
    with app.app_context():
        row = Subscriber(
            number=SUBSCRIBER_NUMBER, name="Acme Plumbing", emails=["office@acme.example"]
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def _add_call(app: Flask, subscriber_id: int) -> str:
    """The call the voicemail was left on, as /ivr/voice would have recorded it."""
    call_sid = rig.new_sid("CA")
    with app.app_context():
        db.session.add(
            Call(
                call_sid=call_sid,
                subscriber_id=subscriber_id,
                from_number="+12125550142",
                to_number=SUBSCRIBER_NUMBER,
                outcome="voicemail",
            )
        )
        db.session.commit()
    return call_sid


def _backline_run(bench: Rig, wav: bytes, subscriber_id: int) -> Milestones:
    """Post one signed recording callback and wait for its email to reach the sink."""
    app, sink = bench.app, bench.sink
    call_sid, recording_sid = _add_call(app, subscriber_id), rig.new_sid("RE")
    bench.media.state.recordings[recording_sid] = Recording(wav)
    params = rig.recording_callback(call_sid, recording_sid, seconds())
    headers = rig.signed_headers(CALLBACK_PATH, params)
    expected = len(sink.accepted_at) + 1
    client = app.test_client()
    posted = time.time()
    answer = client.post(CALLBACK_PATH, data=params, headers=headers)
    answered = time.time()
    assert answer.status_code == 204, answer.text
    accepted = sink.wait_for_count(expected)
    return milestones(app, recording_sid, posted, answered, accepted)


def _baseline_run(work: Path, smtp: smtplib.SMTP) -> tuple[float, float]:
    """Raw ffmpeg then smtplib on the same WAV; return (ffmpeg seconds, total seconds).

    The message goes over the connection the baseline keeps open, as the worker's does.
    """
    started = time.perf_counter()
    mp3_path = work / "baseline.mp3"
    subprocess.run(
        [
            ffmpeg_path(),
            "-y",
            "-loglevel",
            "error",
            "-i",
            str(work / "caller.wav"),
            *ENCODE,
            str(mp3_path),
        ],
        check=True,
    )
    converted = time.perf_counter()
    smtp.send_message(_baseline_message(mp3_path.read_bytes()))
    return converted - started, time.perf_counter() - started


def _baseline_message(mp3: bytes) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "voicemail@provider.example"
    message["To"] = "office@acme.example"
    message["Subject"] = "Voicemail from +1 212-555-0142 (1:00)"
    message.set_content("A caller left you a voicemail; the recording is attached.")
    message.add_attachment(mp3, maintype="audio", subtype="mpeg", filename="voicemail.mp3")
    return message
