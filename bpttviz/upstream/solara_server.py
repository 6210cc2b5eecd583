"""Solara's server from the inside: how many pages (virtual kernels) live in this process.

Solara keeps one "virtual kernel" per open page in a module-level dictionary of its
server; nothing public counts them. The lecture hall's class-full rule needs the
count (:func:`live_pages`).
"""

from __future__ import annotations

PRIVATE_NAMES = (
    ("solara.server.kernel_context", "contexts"),
)


def live_pages() -> int:
    """The pages whose session lives in this process now (open, or closed within the time
    Solara keeps a session for a page that may reconnect)."""
    from solara.server import kernel_context

    return len(kernel_context.contexts)
