"""LangChain integration: the project's retrieval and verified answers inside LangChain chains,
and any LangChain chat model writing the project's answers.

Optional: ``pip install 'rag-news[langchain]'`` (langchain-core only). This package imports
``service`` and ``rag``; nothing there imports it (an import-linter contract).

- ``NewsRetriever``: hybrid retrieval as a ``BaseRetriever`` (``retriever.py``).
- ``VerifiedAnswerChain``: question (and history) in, verified ``Answer`` out; streams
  ``Sources``, ``Token``s, then the ``Answer``, as ``/v1/chat`` does (``chain.py``).
- ``LangChainGenerator``: a ``BaseChatModel`` behind the project's ``Generator`` (``generator.py``).
"""

from __future__ import annotations

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError(
        "rag_langchain needs langchain-core: pip install 'rag-news[langchain]'"
    ) from exc

from rag.pipeline import Sources, Token
from rag.types import Answer
from rag_langchain.chain import AnswerChunk, QuestionInput, VerifiedAnswerChain
from rag_langchain.generator import LangChainGenerator
from rag_langchain.retriever import NewsRetriever, format_docs, to_document

__all__ = [
    "Answer",
    "AnswerChunk",
    "LangChainGenerator",
    "NewsRetriever",
    "QuestionInput",
    "Sources",
    "Token",
    "VerifiedAnswerChain",
    "format_docs",
    "to_document",
]
