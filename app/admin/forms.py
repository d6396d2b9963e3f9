"""The admin UI's forms (Flask-WTF: each carries a CSRF token bound to the session)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


class ActionForm(FlaskForm):
    """A button that changes something (log out, retry, resolve): only the CSRF token."""
