"""rag: question answering over news articles with verified citations (the library)."""
