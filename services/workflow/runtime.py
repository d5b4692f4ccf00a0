"""The workflow app's runner and webhook dispatcher, made on first use for the app's
current database."""

from __future__ import annotations

from fastapi import FastAPI

from services.workflow.settings import Settings
from services.workflow.usecases.mobile_sync import MobileSync
from services.workflow.usecases.runner import Runner
from services.workflow.usecases.webhook_delivery import Dispatcher


def runner_of(app: FastAPI) -> Runner:
    """The app's runner (created on first use, for the app's current database)."""
    runner: Runner | None = getattr(app.state, "runner", None)
    if runner is None or runner.db is not app.state.db:
        settings: Settings = app.state.settings
        mobile = None
        if settings.dingtalk_app or settings.wecom_app:
            mobile = MobileSync(
                app.state.db,
                app.state.client.http,
                dingtalk=settings.dingtalk_app,
                wecom=settings.wecom_app,
                poll_seconds=settings.mobile_poll_seconds,
            )
        runner = Runner(
            app.state.db,
            app.state.client,
            poll_seconds=settings.runner_poll_seconds,
            public_url=settings.public_url,
            mobile=mobile,
        )
        app.state.runner = runner
    return runner


def dispatcher_of(app: FastAPI) -> Dispatcher:
    """The app's webhook dispatcher (created on first use, for the app's current database)."""
    dispatcher: Dispatcher | None = getattr(app.state, "webhook_dispatcher", None)
    if dispatcher is None or dispatcher.db is not app.state.db:
        settings: Settings = app.state.settings
        dispatcher = Dispatcher(
            app.state.db,
            app.state.client.http,
            max_attempts=settings.webhook_max_attempts,
            backoff_seconds=settings.webhook_backoff_seconds,
            backoff_max_seconds=settings.webhook_backoff_max_seconds,
            lease_seconds=settings.webhook_lease_seconds,
            concurrency=settings.webhook_concurrency,
            batch=settings.webhook_batch,
            poll_seconds=settings.webhook_poll_seconds,
        )
        app.state.webhook_dispatcher = dispatcher
    return dispatcher
