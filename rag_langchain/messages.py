"""Messages both ways: the project's ``{"role", "content"}`` dicts and ``Turn``s, LangChain's
``BaseMessage``s.

The project speaks three roles: ``system`` (its prompt files), ``user`` and ``assistant``.
A conversation handed in from LangChain may hold more (tool calls, tool results, a system
prompt of its own): only what a reader said and what was answered is history here, since
the project's own prompts decide how the model is instructed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from rag.conversation import Turn

# The project's roles, with the names LangChain and OpenAI also use for them.
_ROLES: dict[str, Literal["user", "assistant"]] = {
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
}
_IGNORED = {"system", "developer"}


def to_langchain(messages: Iterable[Mapping[str, str]]) -> list[BaseMessage]:
    """The prompt the project rendered, as LangChain messages."""
    out: list[BaseMessage] = []
    for message in messages:
        role, content = message["role"], message["content"]
        if role == "system":
            out.append(SystemMessage(content=content))
        elif role == "user":
            out.append(HumanMessage(content=content))
        elif role == "assistant":
            out.append(AIMessage(content=content))
        else:
            raise ValueError(
                f"A prompt message has the role {role!r}; expected system/user/assistant."
            )
    return out


def to_turn(item: Turn | BaseMessage | Mapping[str, Any]) -> Turn | None:
    """One earlier turn of a conversation; ``None`` for a system message (left out).

    Raises ``ValueError`` naming what is wrong with anything else."""
    if isinstance(item, Turn):
        return item
    if isinstance(item, BaseMessage):
        role, content = item.type, item.text
    elif isinstance(item, Mapping):
        if "role" not in item or "content" not in item:
            raise ValueError(f"A history message needs 'role' and 'content'; got {sorted(item)}.")
        role, content = str(item["role"]), item["content"]
        if not isinstance(content, str):
            raise ValueError("A history message's 'content' must be text.")
    else:
        raise ValueError(
            "A history message is a LangChain message, a Turn or a {'role', 'content'} dict; "
            f"got {type(item).__name__}."
        )
    if role in _IGNORED:
        return None
    if role not in _ROLES:
        raise ValueError(
            f"A history message has the role {role!r}; only user and assistant turns "
            "(or system ones, which are left out) make a conversation here."
        )
    if not content.strip():
        raise ValueError(f"A history message ({role}) is empty.")
    return Turn(role=_ROLES[role], content=content)


def to_history(items: Iterable[Turn | BaseMessage | Mapping[str, Any]]) -> list[Turn]:
    return [turn for turn in (to_turn(item) for item in items) if turn is not None]
