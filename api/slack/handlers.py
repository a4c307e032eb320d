"""The bot's listeners: mentions, DMs and thread follow-ups, ``/ask``, ``/verify``, and the
buttons.

Each answers once (``Deduper`` claims the message), shows a reaction while it works, and
posts Block Kit built by ``formatting``. Errors the service raises on purpose (too long, rate
limited, busy) are told to the user in plain words; anything else is logged and apologised for.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from api.errors import ApiError
from api.slack.dedupe import Deduper
from api.slack.feedback import FeedbackStore, StoredAnswer
from api.slack.formatting import answer_blocks, notification_text, verdict_blocks, verdict_text
from rag.conversation import Turn
from rag.errors import RagError
from rag.types import Answer
from rag.verification.types import Verdict

log = logging.getLogger("api.slack")
T = TypeVar("T")
WORKING = "hourglass_flowing_sand"
SORRY = "Sorry, something went wrong while answering. Please try again in a moment."
USAGE = "Ask me a question about the news articles, e.g. `/ask Who leads the working group?`"
VERIFY_USAGE = (
    "Give me a statement to check against the articles, e.g. "
    "`/verify Italy has ruled out sending troops to Ukraine.`"
)
_HANDLED_SUBTYPES = {None, "thread_broadcast", "file_share"}


def question_text(text: str, bot_user_id: str | None) -> str:
    """The question without the bot's mention, with Slack's escapes undone."""
    if bot_user_id:
        text = re.sub(rf"<@{bot_user_id}(\|[^>]*)?>", " ", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def from_a_bot(event: dict[str, Any]) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile")) or event.get("subtype") in {
        "bot_message"
    }


class Bot(Protocol):
    """What the listeners use of ``api.slack.bot.SlackBot`` (which registers them)."""

    app: App
    store: FeedbackStore
    dedupe: Deduper

    def ask(self, who: str, question: str, history: list[Turn]) -> Answer: ...

    def verify(self, who: str, claim: str) -> Verdict: ...

    def doc_urls(self, doc_ids: list[str]) -> dict[str, str]: ...


def register(bot: Bot) -> None:
    app = bot.app

    def history_of(channel: str, thread_ts: str | None) -> list[Turn]:
        turns: list[Turn] = []
        for earlier in bot.store.thread(channel, thread_ts) if thread_ts else []:
            turns += [
                Turn(role="user", content=earlier.question),
                Turn(role="assistant", content=earlier.answer),
            ]
        return turns

    def compute(who: str, question: str, history: list[Turn]) -> tuple[Answer | None, str | None]:
        return attempt(lambda: bot.ask(who, question, history))

    def attempt(work: Callable[[], T]) -> tuple[T | None, str | None]:
        try:
            return work(), None
        except ApiError as exc:  # too long, rate limited, busy: the user can act on it
            return None, f":warning: {exc.message}"
        except RagError as exc:
            log.warning("Slack request failed: %s", exc)
            return None, f":warning: {exc}"
        except Exception:
            log.exception("error while answering a Slack request")
            return None, SORRY

    def answer_message(
        event: dict[str, Any], context: BoltContext, client: WebClient, thread_ts: str | None
    ) -> None:
        channel, ts, user = event["channel"], event["ts"], event.get("user", "")
        if not bot.dedupe.claim(f"message:{channel}:{ts}"):
            return  # the same message came as app_mention and as message: answer once
        question = question_text(event.get("text", ""), context.bot_user_id)
        if not question:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=USAGE)
            return
        reacted = _react(client, "reactions_add", channel, ts)
        try:
            history = history_of(channel, thread_ts)
            answer, problem = compute(f"slack:{context.team_id}:{user}", question, history)
            if answer is None:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=problem)
                return
            answer_id = bot.store.save(
                channel=channel,
                thread_ts=thread_ts or ts,
                user=user,
                question=question,
                answer=answer,
                history=history,
            )
            client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=notification_text(answer),
                blocks=answer_blocks(answer, answer_id=answer_id, doc_urls=urls(answer)),
                unfurl_links=False,
                unfurl_media=False,
            )
        finally:
            if reacted:
                _react(client, "reactions_remove", channel, ts)

    def urls(answer: Answer | StoredAnswer) -> dict[str, str]:
        return bot.doc_urls([c.doc_id for c in answer.citations])

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if from_a_bot(event):
            return
        answer_message(event, context, client, event.get("thread_ts") or event["ts"])

    @app.event("message")
    def on_message(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if event.get("subtype") not in _HANDLED_SUBTYPES or from_a_bot(event):
            return
        if event.get("user") in (None, context.bot_user_id):
            return
        thread_ts = event.get("thread_ts")
        if event.get("channel_type") == "im":
            answer_message(event, context, client, thread_ts)
            return
        mentioned = context.bot_user_id and f"<@{context.bot_user_id}" in event.get("text", "")
        if thread_ts and not mentioned and bot.store.thread(event["channel"], thread_ts):
            answer_message(event, context, client, thread_ts)  # a follow-up, no mention needed

    @app.command("/ask")
    def on_ask(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        question = question_text(command.get("text", ""), None)
        if not question:
            ack(text=USAGE)
            return
        ack(text=f":{WORKING}: Looking that up in the articles…")
        channel, user = command["channel_id"], command["user_id"]
        answer, problem = compute(f"slack:{command.get('team_id')}:{user}", question, [])
        if answer is None:
            _private(client, respond, channel, user, text=problem or SORRY)
            return
        answer_id = bot.store.save(
            channel=channel,
            thread_ts=None,
            user=user,
            question=question,
            answer=answer,
            history=[],
        )
        blocks = answer_blocks(
            answer,
            answer_id=answer_id,
            doc_urls=urls(answer),
            share=True,
            header=f"*You asked:* {_quote(question)}",
        )
        _private(client, respond, channel, user, text=notification_text(answer), blocks=blocks)

    @app.command("/verify")
    def on_verify(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        claim = question_text(command.get("text", ""), None)
        if not claim:
            ack(text=VERIFY_USAGE)
            return
        ack(text=f":{WORKING}: Checking that against the articles…")
        channel, user = command["channel_id"], command["user_id"]
        who = f"slack:{command.get('team_id')}:{user}"
        verdict, problem = attempt(lambda: bot.verify(who, claim))
        if verdict is None:
            _private(client, respond, channel, user, text=problem or SORRY)
            return
        blocks = verdict_blocks(
            verdict,
            doc_urls=bot.doc_urls([c.doc_id for c in verdict.citations]),
            header=f"*You asked to verify:* {_quote(claim)}",
        )
        _private(client, respond, channel, user, text=verdict_text(verdict), blocks=blocks)

    @app.action("share_answer")
    def on_share(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        user = body["user"]["id"]
        stored = bot.store.get(_answer_id(body))
        if stored is None or stored.user != user:
            return
        channel = (body.get("channel") or {}).get("id") or stored.channel
        client.chat_postMessage(
            channel=channel,
            text=notification_text(stored),
            blocks=answer_blocks(
                stored,
                answer_id=stored.id,
                doc_urls=urls(stored),
                header=f"<@{user}> asked: {_quote(stored.question)}",
            ),
            unfurl_links=False,
            unfurl_media=False,
        )
        try:
            respond(delete_original=True)  # the private copy is no longer needed
        except Exception:
            log.info("could not delete the private answer after sharing it")

    @app.action(re.compile(r"^feedback_(up|down)$"))
    def on_vote(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user = body["user"]["id"]
        vote = 1 if body["actions"][0]["action_id"] == "feedback_up" else -1
        if not bot.store.vote(_answer_id(body), user, vote):
            return
        channel = (body.get("channel") or {}).get("id")
        thread_ts = (body.get("message") or {}).get("thread_ts")
        if channel:
            thanks = "Thanks: noted as helpful." if vote > 0 else "Thanks: noted for review."
            with contextlib.suppress(SlackApiError):
                client.chat_postEphemeral(
                    channel=channel, user=user, thread_ts=thread_ts, text=thanks
                )


def _answer_id(body: dict[str, Any]) -> int:
    try:
        return int(body["actions"][0]["value"])
    except (KeyError, IndexError, ValueError):
        return -1


def _quote(text: str) -> str:
    short = text if len(text) <= 300 else text[:299] + "…"
    return "_" + short.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "_"


def _react(client: WebClient, method: str, channel: str, ts: str) -> bool:
    try:
        getattr(client, method)(channel=channel, timestamp=ts, name=WORKING)
        return True
    except SlackApiError as exc:  # e.g. missing reactions:write: answer anyway
        log.info("%s failed: %s", method, exc.response.get("error"))
        return False


def _private(client: WebClient, respond: Respond, channel: str, user: str, **message: Any) -> None:
    """An ephemeral message; through the command's response_url where the bot cannot post
    (a channel it is not in)."""
    try:
        client.chat_postEphemeral(channel=channel, user=user, **message)
    except SlackApiError:
        respond(response_type="ephemeral", replace_original=False, **message)
