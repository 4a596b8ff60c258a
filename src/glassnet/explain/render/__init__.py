"""Renderers of ``explain.document.Document``: text (terminal), Markdown, LaTeX, HTML."""
