"""The embedded LLM in its own process: a small OpenAI-compatible server over the library's
``LlamaCppGenerator`` (``modelserver.app``), started, watched and restarted by
``modelserver.supervisor``. ``rag serve`` starts one for all its API workers, so a crash in
native code costs one answer (the flagged quotes fallback), never the service.

Imports ``rag`` only; nothing in ``rag`` imports it.
"""
