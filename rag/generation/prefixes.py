"""Cached prompts under more than one system prompt, in one llama.cpp context.

llama.cpp reuses the longest prefix a prompt shares with the one before it. A follow-up
question is condensed under its own system prompt, which evicts the answer prompt's: the
answer that follows re-read its ~260-token system prompt (about 3 s on 2 cores) and the next
condense re-read its own. So when the system prompt changes, the context's state (its KV
cells, a few MB per hundred tokens) is parked under the old one and the state last parked
under the new one is put back: each system prompt keeps its cached prefix.

llama-cpp-python's ``LlamaRAMCache`` does this for whole prompts but also copies the logits
buffer (n_batch x vocabulary floats, ~300 MB for Qwen) on every save and load.
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Parked:
    state: bytes  # llama_state_get_data: the KV cells in use
    tokens: Any  # numpy copy of the context's input ids
    n_tokens: int


def system_prompt(messages: list[dict[str, str]]) -> str:
    first = messages[0] if messages else {}
    return first.get("content", "") if first.get("role") == "system" else ""


class PromptShelf:
    """Parks the context's state per system prompt; at most ``keep`` (the live one included)."""

    def __init__(self, keep: int = 2) -> None:
        self.keep = keep
        self.live: str | None = None  # the system prompt the context now holds
        self._parked: OrderedDict[str, _Parked] = OrderedDict()

    def switch(self, llm: Any, messages: list[dict[str, str]]) -> None:
        """Make the context hold the last state of this system prompt, if one was parked."""
        key = system_prompt(messages)
        if key == self.live or self.keep < 2:
            self.live = key
            return
        parked = self._parked.pop(key, None)
        if self.live is not None and llm.n_tokens > 0:
            self._parked[self.live] = _save(llm)
            self._parked.move_to_end(self.live)
            while len(self._parked) > self.keep - 1:
                self._parked.popitem(last=False)
        if parked is not None:
            _restore(llm, parked)
        self.live = key

    def forget(self) -> None:
        """After a failure the context's state is unknown: park nothing from it."""
        self.live = None
        self._parked.clear()


def _save(llm: Any) -> _Parked:
    from llama_cpp import llama_state_get_data, llama_state_get_size

    size = int(llama_state_get_size(llm.ctx))
    buf = (ctypes.c_uint8 * size)()
    n = int(llama_state_get_data(llm.ctx, buf, size))
    state = ctypes.string_at(buf, n)  # one copy of the bytes written, not of the buffer
    return _Parked(state, llm.input_ids[: llm.n_tokens].copy(), int(llm.n_tokens))


def _restore(llm: Any, parked: _Parked) -> None:
    from llama_cpp import llama_state_set_data

    buf = (ctypes.c_uint8 * len(parked.state)).from_buffer_copy(parked.state)
    if int(llama_state_set_data(llm.ctx, buf, len(parked.state))) != len(parked.state):
        llm.reset()  # nothing cached rather than a state that does not match its tokens
        return
    llm.input_ids[: parked.n_tokens] = parked.tokens
    llm.n_tokens = parked.n_tokens
    llm._requires_eval = True  # the logits are not those of the last token: decode again
