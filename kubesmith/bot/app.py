"""The ASGI app: ``POST /webhook``, ``/healthz``, ``/readyz``, ``/metrics``.

The webhook endpoint only verifies, routes and enqueues — one small insert, committed together
with those of concurrent deliveries (:mod:`kubesmith.bot.batcher`) — so GitHub gets its answer
in milliseconds; the work happens in the workers (:mod:`kubesmith.bot.worker`).

Answers: 401 unsigned or forged; 413 over 25 MB (never read whole: :mod:`kubesmith.bot.intake`);
400 malformed or nested too deeply (no job); 202 queued; 200 a replay (the delivery
id was seen: nothing queued) or an event the bot does not act on; 503 when the store cannot
take the delivery (not acknowledged: GitHub lists it as failed, to redeliver).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kubesmith.bot.events import MalformedPayload, route
from kubesmith.bot.intake import Refusal, parse_json, precheck, read_signed
from kubesmith.bot.metrics import CONTENT_TYPE
from kubesmith.bot.queue import Delivery

if TYPE_CHECKING:
    from kubesmith.bot.service import Bot

log = logging.getLogger(__name__)


def create_app(bot: Bot) -> Starlette:
    """The app serving ``bot``; its lifespan starts and stops the workers."""

    async def webhook(request: Request) -> Response:
        started = time.perf_counter()
        event = request.headers.get("x-github-event", "")
        result, response = await _webhook(bot, request, event)
        bot.metrics.deliveries.labels(event or "-", result).inc()
        bot.metrics.ack_seconds.observe(time.perf_counter() - started)
        return response

    async def healthz(_: Request) -> Response:
        return JSONResponse({"ok": True})

    async def readyz(_: Request) -> Response:
        problems = await run_in_threadpool(bot.problems)
        return JSONResponse({"ok": not problems, "problems": problems}, 503 if problems else 200)

    async def metrics(_: Request) -> Response:
        body = await run_in_threadpool(bot.metrics.render)
        return Response(body, media_type=CONTENT_TYPE)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(bot.start)
        try:
            yield
        finally:
            await run_in_threadpool(bot.stop)

    return Starlette(
        routes=[
            Route("/webhook", webhook, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ],
        lifespan=lifespan,
    )


async def _webhook(bot: Bot, request: Request, event: str) -> tuple[str, Response]:
    try:
        precheck(
            bot.config.webhook_secret,
            request.headers.get("content-length"),
            request.headers.get("x-hub-signature-256"),
        )
        signature = request.headers.get("x-hub-signature-256", "")
        body = await read_signed(bot.config.webhook_secret, request.stream(), signature)
    except Refusal as e:
        return e.result, JSONResponse({"error": e.message}, e.status)
    delivery = request.headers.get("x-github-delivery", "").strip()
    if not event or not delivery or len(delivery) > 128:
        return "malformed", JSONResponse(
            {"error": "X-GitHub-Event and X-GitHub-Delivery headers are required"}, 400
        )
    try:
        payload = parse_json(body)
        target = route(event, payload)
    except Refusal as e:
        return e.result, JSONResponse({"error": e.message}, e.status)
    except MalformedPayload as e:
        return "malformed", JSONResponse({"error": f"malformed payload: {e}"}, 400)
    status = "ignored" if target.kind == "ignored" else "queued"
    stored = payload if status == "queued" else {}
    try:
        job_id = await bot.batcher.submit(
            Delivery(delivery, event, target.kind, target.pr_key, stored, status)
        )
    except Exception as e:  # not acknowledged, so GitHub shows the delivery as failed
        log.error("cannot store delivery %s: %s", delivery, e)
        return "unavailable", JSONResponse({"error": "the job store is unavailable"}, 503)
    if job_id is None:
        return "replay", JSONResponse({"delivery": delivery, "duplicate": True}, 200)
    if status == "ignored":
        return "ignored", JSONResponse({"delivery": delivery, "ignored": target.reason}, 200)
    bot.workers.wake()
    body_out = {"delivery": delivery, "job": job_id, "kind": target.kind}
    return "queued", JSONResponse(body_out, 202)
