"""Voila's kernel manager from the inside: the factory that builds its class.

Voila builds the class of its kernel manager by calling
``voila.app.voila_kernel_manager_factory`` (no public way to extend it);
:func:`wrap_kernel_manager_factory` replaces that name so that bpttviz's warm
kernels and concurrent culling (:mod:`bpttviz.serve.warm`,
:mod:`bpttviz.serve.pools`) join the class. Everything else bpttviz changes in
Voila goes through public names: ``VoilaConfiguration.prelaunch_hook`` (the
class-full page) and ``Voila.kernel_websocket_connection_class`` (the rate
limit); the warm kernels take pages through ``start_kernel``, the kernel
manager's public method Voila calls for a page.
"""

from __future__ import annotations

PRIVATE_NAMES = (
    ("voila.app", "voila_kernel_manager_factory"),
)


def wrap_kernel_manager_factory(wrap) -> None:
    """Replace Voila's kernel manager factory in this process by ``wrap(factory)``.

    Call it before ``Voila.launch_instance``; called again, the new ``wrap`` replaces the
    previous one (Voila's own factory is wrapped once).
    """
    import voila.app

    original = voila.app.voila_kernel_manager_factory
    original = getattr(original, "bpttviz_original", original)
    factory = wrap(original)
    factory.wrapped_by_bpttviz = True
    factory.bpttviz_original = original
    voila.app.voila_kernel_manager_factory = factory
