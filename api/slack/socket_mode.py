"""``rag slack --socket``: the bot over Socket Mode (a websocket the app opens to Slack with
its app-level token), for hosts Slack cannot reach. No signing secret, no public URL."""

from __future__ import annotations

import logging

from api.services import Services
from api.slack.bot import SlackBot, require
from rag.settings import Settings

log = logging.getLogger("api.slack")


def run_socket_mode(settings: Settings) -> None:
    """Load the models, connect, and answer until interrupted."""
    app_token = require(
        settings.slack_app_token,
        "RAG_SLACK_APP_TOKEN",
        "Socket Mode needs the app-level token (xapp-…, scope connections:write)",
    )
    if not app_token.startswith("xapp-"):
        from rag.errors import ConfigError

        raise ConfigError("RAG_SLACK_APP_TOKEN must be an app-level token (it starts xapp-).")
    bot = SlackBot(settings, socket_mode=True)
    services = Services.build(settings)
    services.warm_up()
    bot.attach(services)
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.info("Slack Socket Mode: connecting")
    try:
        SocketModeHandler(bot.app, app_token).start()  # type: ignore[no-untyped-call]
    finally:
        bot.close()
