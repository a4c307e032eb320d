"""Prompt templates as files, rendered by ``rag.prompting.render``."""
