"""The exception tree. Every error the library raises on purpose is a ``RagError``.

Adapters (CLI, HTTP, Slack) map these to exit codes or status codes in one place each;
the message is always a sentence a user can act on.

    RagError
    ├── ConfigError            invalid settings or options            (HTTP 400 / CLI exit 2)
    ├── InvalidRequestError    a request the library cannot act on    (HTTP 422 / exit 2)
    ├── ModelUnavailableError  a model package is missing or corrupt  (HTTP 503 / exit 3)
    ├── IngestError            a source cannot be read or parsed      (HTTP 422 / exit 1)
    │   └── UnsupportedFileError  not a file type the loaders read     (HTTP 415 / exit 1)
    ├── NotFoundError          no such article                        (HTTP 404 / exit 1)
    ├── StoreError             the vector store refused or failed     (HTTP 503 / exit 1)
    │   └── EmbeddingMismatchError  store built with another model    (HTTP 409 / exit 1)
    └── GenerationError        the LLM failed or timed out            (answered by fallback)
"""

from __future__ import annotations


class RagError(Exception):
    """Base of every error this project raises deliberately."""


class ConfigError(RagError):
    """Settings or options are invalid."""


class InvalidRequestError(RagError):
    """What was asked cannot be acted on as given: an empty statement, one over the limit."""


class ModelUnavailableError(RagError):
    """A model's package is not installed, or its assembled file fails verification."""


class IngestError(RagError):
    """An article source cannot be read or parsed."""


class UnsupportedFileError(IngestError):
    """The file's type is not one the loaders read."""


class NotFoundError(RagError):
    """The article (or other named thing) does not exist."""


class StoreError(RagError):
    """The vector store cannot be opened, read or written."""


class EmbeddingMismatchError(StoreError):
    """The collection was built with a different embedding model or dimension."""


class GenerationError(RagError):
    """The LLM failed or timed out. The pipeline answers with quotes instead; never a 500."""
