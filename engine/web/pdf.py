"""Printable pages as PDF (WeasyPrint): the parliament report and a person's inzage."""

from __future__ import annotations


def pdf(html: str, base_url: str) -> bytes:
    """Render a self-contained print page (no fetches back to this server)."""
    from weasyprint import HTML  # imported when a PDF is asked for: it takes a moment to load

    return HTML(string=html, base_url=base_url).write_pdf()
