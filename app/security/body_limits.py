"""How large a request body may be: 1 MiB, unless a route sets more for itself.

MAX_CONTENT_LENGTH bounds every body; a form's fields are held in memory up to
MAX_FORM_MEMORY_SIZE, and at most MAX_FORM_PARTS parts are parsed. A body declared larger than
its request's limit is refused with 413 before anything reads it, whether or not its route would
have read it. One sent without a length is cut off at the limit, with the same 413, as it is read.

A route that needs more raises `request.max_content_length` in a hook that runs before this
check: the admin CSV import in its `before_app_request`, registered with its blueprint. The API
sets each of its requests' limits itself, in JSON, and is left to it. 1 MiB is hundreds of times
a Twilio webhook's form, four times an SNS message, and far more than any admin form.
"""

from __future__ import annotations

from collections.abc import Collection

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

BODY_LIMIT = 1024 * 1024
FORM_PARTS_LIMIT = 1000  # a form with every region and plan ticked has far fewer


def init_body_limits(app: Flask, own_limits: Collection[str] = ()) -> None:
    """Bound every body `app` accepts, but those of the blueprints named in `own_limits`."""
    app.config.update(
        MAX_CONTENT_LENGTH=BODY_LIMIT,
        MAX_FORM_MEMORY_SIZE=BODY_LIMIT,
        MAX_FORM_PARTS=FORM_PARTS_LIMIT,
    )

    @app.before_request
    def _refuse_oversized_bodies() -> None:
        limit = request.max_content_length
        if request.blueprint in own_limits or limit is None:
            return
        if (request.content_length or 0) > limit:
            raise RequestEntityTooLarge(too_large(limit))


def too_large(limit: int) -> str:
    """The sentence a 413 answers with."""
    mib = 1024 * 1024
    size = f"{limit // mib} MiB" if limit % mib == 0 else f"{limit // 1024} KiB"
    return f"The request body is larger than this address accepts: at most {size}."
