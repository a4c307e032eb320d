"""``POST /slack/events``: Events API callbacks, slash commands and interactivity, all three
verified by slack_bolt (``v0`` HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the signing
secret, timestamp within 5 minutes; anything else is a 401)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from api.slack.bot import SlackBot


def events_router(bot: SlackBot) -> APIRouter:
    router = APIRouter(tags=["slack"])

    @router.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        if not bot.ready:  # Slack retries later; models are still loading
            return Response(status_code=503, headers={"Retry-After": "5"})
        body = await request.body()
        # Bolt's dispatch is synchronous (it waits for ack(), at most 3 s): off the event loop.
        response = await run_in_threadpool(bot.app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    return router
