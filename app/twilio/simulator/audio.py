"""A generated recording: a few seconds of speech-like sound as Twilio's 8 kHz 16-bit WAV."""

from __future__ import annotations

import io
import math
import struct
import wave

SAMPLE_RATE = 8000


def make_wav(seconds: float, sample_rate: int = SAMPLE_RATE) -> bytes:
    """A mono 16-bit WAV of `seconds`: a voice-band tone whose loudness rises and falls."""
    frames = int(seconds * sample_rate)
    samples = bytearray()
    for n in range(frames):
        t = n / sample_rate
        syllables = 0.5 + 0.5 * math.sin(2 * math.pi * 3 * t)  # about three syllables a second
        voice = math.sin(2 * math.pi * 180 * t) + 0.5 * math.sin(2 * math.pi * 360 * t)
        samples += struct.pack("<h", int(9000 * syllables * voice))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(bytes(samples))
    return out.getvalue()
