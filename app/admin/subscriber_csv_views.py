"""Subscribers as CSV: import with a per-line report (all rows or none), and export."""

from __future__ import annotations

import io

import structlog
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from app.admin import bp
from app.admin.auth import current_admin, login_required
from app.admin.subscriber_forms import ImportForm
from app.core.extensions import db
from app.models import Subscriber, utcnow
from app.subscribers.csv_files import COLUMNS, CSV_LIMIT, export_csv, import_rows, read_csv_for

log = structlog.get_logger(__name__)

UPLOAD_LIMIT = CSV_LIMIT  # as through the API: about 150,000 subscribers
FORM_OVERHEAD = 64 * 1024  # the multipart boundaries and the CSRF token around the file
Answer = tuple[str, int] | Response


class UploadProblem(Exception):
    """An uploaded file that cannot be read as CSV text, with the sentence that says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@bp.before_app_request
def _bound_upload() -> Answer | None:
    """Refuse an oversized import before its body is parsed (the CSRF check would parse it)."""
    if request.endpoint != "admin.import_subscribers" or request.method != "POST":
        return None
    request.max_content_length = UPLOAD_LIMIT + FORM_OVERHEAD
    if (request.content_length or 0) <= request.max_content_length or current_admin() is None:
        return None
    return _import_page(ImportForm(formdata=None), [_too_large()], 413)


@bp.route("/subscribers/import", methods=["GET", "POST"])
@login_required
def import_subscribers() -> Answer:
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(form, [], 400 if request.method == "POST" else 200)
    try:
        text = _uploaded_text(form.file.data)
    except UploadProblem as problem:
        return _import_page(form, [problem.message], problem.status)
    session = db.session()
    result = read_csv_for(session, io.StringIO(text, newline=""))
    if result.errors:
        return _import_page(form, result.errors, 400, rejected=True)
    try:
        created, updated = import_rows(session, result.rows)
    except IntegrityError:  # another import or edit added one of these numbers meanwhile
        session.rollback()
        message = "The subscribers changed during the import; nothing was imported. Upload again."
        return _import_page(form, [message], 409)
    admin = current_admin()
    log.info("admin imported subscribers", admin_id=admin.id if admin else None, created=created)
    flash(f"Imported {created + updated} subscribers: {created} new, {updated} updated.", "info")
    return redirect(url_for("admin.subscribers"))


def _uploaded_text(upload: FileStorage) -> str:
    """The file's text (UTF-8, with or without a byte order mark)."""
    raw = upload.stream.read(UPLOAD_LIMIT + 1)
    if len(raw) > UPLOAD_LIMIT:
        raise UploadProblem(_too_large(), 413)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadProblem(
            f"The file is not UTF-8 text ({exc.reason} at byte {exc.start}). "
            "Save it as “CSV UTF-8” and upload it again."
        ) from None


def _too_large() -> str:
    return (
        f"The file is larger than {UPLOAD_LIMIT // (1024 * 1024)} MiB; "
        "split it and import the parts one after the other."
    )


def _import_page(
    form: ImportForm, errors: list[str], status: int, rejected: bool = False
) -> Answer:
    page = render_template(
        "admin/subscriber_import.html",
        form=form,
        errors=errors,
        rejected=rejected,
        columns=COLUMNS,
    )
    return page, status


@bp.get("/subscribers/export")
@login_required
def export_subscribers() -> Response:
    """Every subscriber as CSV, in the import format (as `backline subscribers export`)."""
    subscribers = db.session.scalars(select(Subscriber).order_by(Subscriber.number))
    filename = f"subscribers-{utcnow():%Y-%m-%d}.csv"
    return Response(
        export_csv(subscribers),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",  # personal data: no copy left in caches
        },
    )
