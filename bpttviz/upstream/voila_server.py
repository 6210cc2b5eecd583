"""Voila's kernel manager from the inside: the factory that builds its class, and its pools.

Voila builds the class of its kernel manager by calling
``voila.app.voila_kernel_manager_factory`` (no public way to extend it);
:func:`wrap_kernel_manager_factory` replaces that name so that bpttviz's classroom pools
and concurrent culling (:mod:`bpttviz.serve.pools`) join the class. With
``--preheat_kernel`` that class keeps its preheated kernels in ``_pools``
(:func:`preheated_pools`): ``{notebook: [task, ...]}``, first come first served, each
task's result a dict with the kernel's ``"kernel_id"`` and the ``"task"`` running its
notebook.
"""

from __future__ import annotations

PRIVATE_NAMES = (
    ("voila.app", "voila_kernel_manager_factory"),
    ("voila.voila_kernel_manager", "_pools"),
)


def wrap_kernel_manager_factory(wrap) -> None:
    """Replace Voila's kernel manager factory in this process by ``wrap(factory)``, once.

    Call it before ``Voila.launch_instance``; calling it again changes nothing.
    """
    import voila.app

    original = voila.app.voila_kernel_manager_factory
    if getattr(original, "wrapped_by_bpttviz", False):
        return
    factory = wrap(original)
    factory.wrapped_by_bpttviz = True
    voila.app.voila_kernel_manager_factory = factory


def preheated_pools(manager) -> dict:
    """The pools of preheated kernels of Voila's kernel manager ``manager``, Voila's own dict
    (what is removed from or reordered in its lists is removed or reordered for Voila)."""
    return manager._pools
