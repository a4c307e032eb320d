"""The Slack bot (``docs/slack.md``): Events API at ``/slack/events`` in the HTTP service, or
Socket Mode with ``rag slack --socket``. slack_bolt is imported only when Slack is set up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from service.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from api.slack.bot import SlackBot


def mount(app: FastAPI, settings: Settings) -> SlackBot | None:
    """With RAG_SLACK_BOT_TOKEN and RAG_SLACK_SIGNING_SECRET set, add ``POST /slack/events``
    and return the bot (its services are attached in the lifespan); else None."""
    from api.slack.bot import events_api_configured

    if not events_api_configured(settings):
        return None
    from api.slack.bot import SlackBot
    from api.slack.events import events_router

    bot = SlackBot(settings)
    app.include_router(events_router(bot))
    return bot
