"""Hostile values for the fuzz tests: what a broken proxy, a confused client or an attacker sends."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.support.twilio import ACCOUNT_SID

# Text an HTTP form can carry: any code point but lone surrogates (they cannot be encoded).
ANY_CHARACTER = st.characters(codec="utf-8")
CONTROL_CHARACTER = st.characters(min_codepoint=0, max_codepoint=31) | st.just("\x7f")

NUMBERS_AS_TEXT = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["-1", "-0", "+1", "0x10", "1e9", "00000000000000000000001", " 7 "]),
    st.sampled_from(["\u00b2", "\u0663", "\uff17", "\u2167", "\u00bd"]),  # digits int() refuses
)

PHONE_NUMBERS = st.sampled_from(
    [
        "+1" * 1000,
        "+14155550100" + "0" * 40,
        "+",
        "anonymous",
        "sip:alice@evil.example",
        "client:alice",
        "tel:+14155550100",
        "+1 (415) 555-0100",
        "+14155550100\x00",
        "\u202e+14155550100",  # a right-to-left override
        "+\u0661\u0664\u0661\u0665",  # Arabic-Indic digits
    ]
)

SIDS = st.sampled_from(
    [
        "CA" + "0" * 32,
        "CA" + "g" * 32,
        "RE" + "f" * 32,
        "SM" + "a" * 32,
        "CA" + "a" * 31,
        "CA" + "a" * 33,
        ACCOUNT_SID,
        "AC" + "f" * 32,
        "../../etc/passwd",
        "CA" + "0" * 32 + "\n",
    ]
)

ELSEWHERE = st.sampled_from(
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://127.0.0.1:1/secret.wav",
        "file:///etc/passwd",
        "https://evil.example/2010-04-01/Accounts/" + ACCOUNT_SID + "/Recordings/RE" + "1" * 32,
        "gopher://localhost:25/",
        "//evil.example/x",
    ]
)

HUGE_TEXT = st.sampled_from(["x" * 20_000, "\u00e9" * 10_000, "9" * 5_000, "\x00" * 1_000])

HOSTILE_TEXT: st.SearchStrategy[str] = st.one_of(
    st.text(ANY_CHARACTER, max_size=60),
    st.text(CONTROL_CHARACTER, min_size=1, max_size=10),
    NUMBERS_AS_TEXT,
    PHONE_NUMBERS,
    SIDS,
    ELSEWHERE,
    HUGE_TEXT,
    st.sampled_from(["", " ", "completed", "failed", "absent", "busy", "1", "2", "3", "#"]),
)

# Field names Twilio's voice and messaging webhooks carry, and a few it never sends.
TWILIO_FIELDS = [
    "CallSid",
    "ParentCallSid",
    "AccountSid",
    "From",
    "To",
    "ForwardedFrom",
    "CallerName",
    "CallStatus",
    "CallDuration",
    "Direction",
    "Digits",
    "DialCallStatus",
    "DialSipResponseCode",
    "ErrorCode",
    "ErrorUrl",
    "RecordingSid",
    "RecordingStatus",
    "RecordingDuration",
    "RecordingUrl",
    "RecordingChannels",
    "TranscriptionStatus",
    "TranscriptionText",
    "MessageSid",
    "SmsSid",
    "MessageStatus",
    "SmsStatus",
]
FIELD_NAMES = st.one_of(st.sampled_from(TWILIO_FIELDS), st.text(ANY_CHARACTER, max_size=20))


def json_values(max_leaves: int = 10) -> st.SearchStrategy[Any]:
    """Any JSON document, hostile scalars included (NUL, huge numbers, deep nesting)."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=False, allow_infinity=False),
        HOSTILE_TEXT,
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(ANY_CHARACTER, max_size=12), children, max_size=4)
        ),
        max_leaves=max_leaves,
    )
