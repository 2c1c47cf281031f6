"""The job engine: Celery with Redis as the broker (the Flask docs' "Background Tasks with Celery").

Every registered job becomes a Celery task of the same name, run inside an app context. Delivery
is at least once: a task is acknowledged after it ran (`task_acks_late`), requeued when its pool
process dies (`task_reject_on_worker_lost`), and a worker takes one task at a time
(`worker_prefetch_multiplier`); a task held by a worker that vanished altogether is delivered
again after JOBS_VISIBILITY_TIMEOUT seconds. Transient errors are retried with exponential backoff
and full jitter; a task that fails for good lands in `failed_jobs`.
"""
from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask

from app import jobs


def init_app(app: Flask) -> Celery:
    config = app.config

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                token = jobs._job_id.set(self.request.id or jobs.current_job_id())
                try:
                    return self.run(*args, **kwargs)
                finally:
                    jobs._job_id.reset(token)

        def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
            from app.jobs import dead_letters

            with app.app_context():
                dead_letters.record(self.name, kwargs, exc, attempts=self.request.retries + 1,
                                    task_id=task_id)

    from app.jobs import schedule

    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=config.get("REDIS_URL") or "memory://",
        task_default_queue=config["JOBS_QUEUE"],
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # A task running when the broker connection drops finishes and records what it did; its
        # redelivery then finds the work done (cancelling it could leave a sent mail unrecorded).
        worker_cancel_long_running_tasks_on_connection_loss=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker outlives any Redis outage
        broker_connection_timeout=config["JOBS_BROKER_TIMEOUT"],
        broker_transport_options={
            "visibility_timeout": config["JOBS_VISIBILITY_TIMEOUT"],
            "global_keyprefix": config["JOBS_KEY_PREFIX"],
            "socket_connect_timeout": config["JOBS_BROKER_TIMEOUT"],
            "socket_timeout": max(10, config["JOBS_BROKER_TIMEOUT"]),
            "socket_keepalive": True,
            "unacked_restore_interval": config["JOBS_RESTORE_INTERVAL"],
            "unacked_restore_throttle": 1,
        },
        # Publishing happens in web requests: give up quickly (the job then runs in-process).
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                                   "interval_max": 0.2},
        timezone="UTC",
        enable_utc=True,
        beat_schedule=schedule.beat_schedule(app),
        beat_schedule_filename=config["JOBS_BEAT_SCHEDULE"],
        worker_hijack_root_logger=False,
    )
    for spec in jobs.JOBS.values():
        options: dict[str, Any] = {"name": spec.name, "max_retries": config["JOBS_MAX_RETRIES"]}
        if spec.retry_for:
            options.update(autoretry_for=spec.retry_for, dont_autoretry_for=(jobs.GaveUp,),
                           retry_backoff=config["JOBS_RETRY_BACKOFF"],
                           retry_backoff_max=config["JOBS_RETRY_BACKOFF_MAX"], retry_jitter=True)
        celery.task(**options)(spec.func)
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def celery_app(app: Flask) -> Celery:
    return app.extensions["celery"]


def publish(app: Flask, name: str, kwargs: dict[str, Any]) -> None:
    """Put the job on the broker (raises when the broker cannot be reached)."""
    celery_app(app).tasks[name].apply_async(kwargs=kwargs)
