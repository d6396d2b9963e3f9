"""How Backline's commands get the app: built once, as a command runs, never for `--help`.

Flask's own click helpers (`FlaskGroup`, `AppGroup`, `with_appcontext`) import Flask as they
are declared, and FlaskGroup builds the app to list the commands, so `backline --help` cost the
whole app and failed without its settings. These do the same job and import Flask, the app and
its features only inside the command that runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

if TYPE_CHECKING:
    from flask import Flask

F = TypeVar("F", bound=Callable[..., Any])


class AppSource(Protocol):
    """What the root context's `obj` is: Flask's `ScriptInfo` (tests pass one) or AppLoader."""

    def load_app(self) -> Flask: ...


class AppLoader:
    """Builds the app from the environment the first time a command asks for it."""

    def __init__(self) -> None:
        self._app: Flask | None = None

    def load_app(self) -> Flask:
        """The app, built on first use; a missing setting is a sentence, not a traceback."""
        from app import create_app
        from app.core.config import ConfigError

        if self._app is None:
            try:
                self._app = create_app()
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._app


def app_source(ctx: click.Context) -> AppSource:
    """Where this invocation's app comes from: the root context's `obj`, an AppLoader unless
    the caller passed its own."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = AppLoader()
    source: AppSource = root.obj
    return source


def with_appcontext(command: F) -> F:
    """Run the command inside the app's context (the one already pushed, if any)."""

    @click.pass_context
    @functools.wraps(command)
    def in_app_context(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        from flask import has_app_context

        if not has_app_context():
            ctx.with_resource(app_source(ctx).load_app().app_context())
        return ctx.invoke(command, *args, **kwargs)

    return in_app_context  # type: ignore[return-value]


class AppGroup(click.Group):
    """A group whose commands run inside the app's context (Flask's AppGroup, imported late)."""

    def command(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        def decorator(callback: Callable[..., Any]) -> click.Command:
            return super(AppGroup, self).command(*args, **kwargs)(with_appcontext(callback))

        return decorator
