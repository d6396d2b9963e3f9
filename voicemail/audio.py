"""Turning Twilio's WAV into a normalised MP3, with ffmpeg from the system or the wheel."""

from __future__ import annotations

import io
import shutil
import warnings
from dataclasses import dataclass
from functools import cache

with warnings.catch_warnings():
    # pydub warns at import when ffmpeg is not on PATH; we point it at the bundled one below.
    warnings.simplefilter("ignore")
    from pydub import AudioSegment, effects

MP3_BITRATE = "64k"  # speech; keeps a three-minute message near 1.4 MB


class AudioError(RuntimeError):
    """The bytes are not a recording we can convert."""


@dataclass(frozen=True)
class Converted:
    mp3: bytes
    duration_ms: int


@cache
def ffmpeg_path() -> str:
    """The system's ffmpeg when there is one, else the binary shipped in imageio-ffmpeg."""
    system = shutil.which("ffmpeg")
    if system:
        return system
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def wav_to_mp3(wav: bytes) -> Converted:
    """Convert a WAV recording to MP3 with normalised volume."""
    AudioSegment.converter = ffmpeg_path()
    try:
        segment = AudioSegment.from_file(io.BytesIO(wav), format="wav")
    except Exception as exc:  # pydub raises a mix of wave, audioop and its own errors
        raise AudioError(f"not a readable WAV recording ({type(exc).__name__})") from exc
    if len(segment) > 0 and segment.max > 0:
        segment = effects.normalize(segment, headroom=1.0)
    out = io.BytesIO()
    try:
        segment.export(out, format="mp3", bitrate=MP3_BITRATE, tags={"title": "Voicemail"})
    except Exception as exc:
        raise AudioError(f"ffmpeg could not encode MP3 ({type(exc).__name__})") from exc
    return Converted(out.getvalue(), len(segment))
