"""The next token's log-probabilities from llama.cpp, without generating: the judge's signal.

llama-cpp-python returns log-probabilities only with ``logits_all=True``, which makes every
prompt ~4x slower to read. Instead the prompt is evaluated as ``create_chat_completion`` would
(same chat template, same tokens), reusing the longest prefix already in the KV cache (in the
answer path: the answer prompt's passages), and the last position's logits are read directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def chat_tokens(llm: Any, messages: list[dict[str, str]]) -> list[int]:
    """The prompt tokens ``create_chat_completion`` evaluates for ``messages``."""
    from llama_cpp import llama_chat_format

    template = llm.metadata.get("tokenizer.chat_template")
    if template:
        formatter = llama_chat_format.Jinja2ChatFormatter(
            template=template,
            eos_token=llm.detokenize([llm.token_eos()]).decode("utf-8", "ignore"),
            bos_token=llm.detokenize([llm.token_bos()]).decode("utf-8", "ignore"),
        )
        result = formatter(messages=messages)  # type: ignore[arg-type]
        prompt, added = result.prompt, result.added_special
    else:  # ChatML, which the packaged Qwen models use
        prompt = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        prompt, added = prompt + "<|im_start|>assistant\n", False
    return list(llm.tokenize(prompt.encode("utf-8"), add_bos=not added, special=True))


def next_token_logprobs(
    llm: Any, messages: list[dict[str, str]], n: int
) -> list[tuple[str, float]]:
    import numpy as np

    tokens = chat_tokens(llm, messages)
    cached = llm.input_ids[: llm.n_tokens].tolist()
    keep = 0
    for a, b in zip(cached, tokens, strict=False):
        if a != b:
            break
        keep += 1
    keep = min(keep, len(tokens) - 1)  # at least one token is evaluated, for its logits
    llm.n_tokens = keep
    llm.eval(tokens[keep:])
    logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
    logits = logits.astype(np.float64)
    logz = float(logits.max() + np.log(np.exp(logits - logits.max()).sum()))
    top = np.argsort(-logits)[:n]
    return [
        (llm.detokenize([int(i)]).decode("utf-8", "replace"), float(logits[i] - logz)) for i in top
    ]


def yes_share(top: Sequence[tuple[str, float]]) -> float:
    """P(yes) / (P(yes) + P(no)) over the listed tokens ("Yes", " yes", "YES" all count)."""
    yes = sum(math.exp(lp) for tok, lp in top if tok.strip().lower() == "yes")
    no = sum(math.exp(lp) for tok, lp in top if tok.strip().lower() == "no")
    return yes / (yes + no) if yes + no > 0 else 0.5
