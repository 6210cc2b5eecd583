"""Every private name of another project that bpttviz relies on still exists there.

Each module of ``bpttviz.upstream`` lists the names it uses in ``PRIVATE_NAMES``, as
``("module.path", "attribute")`` pairs: the attribute of a module or a class, or one that
the class (or module) sets on its objects (``self._last_buff = ...``), which only its source
shows. A release of Matplotlib, Voila or jupyter_server that drops one fails here, by name,
rather than in a lesson page.
"""

import importlib
import inspect
import pkgutil
import re

import pytest

import bpttviz.upstream

MODULES = [importlib.import_module(f"bpttviz.upstream.{m.name}")
           for m in pkgutil.iter_modules(bpttviz.upstream.__path__)]
NAMES = [(module.__name__, path, attr) for module in MODULES
         for path, attr in module.PRIVATE_NAMES]


def test_every_upstream_module_lists_its_private_names():
    assert MODULES
    for module in MODULES:
        names = module.PRIVATE_NAMES
        assert names and all(len(pair) == 2 and all(isinstance(p, str) for p in pair)
                             for pair in names), module.__name__


def source(obj) -> str:
    """The source of a module or class ("" for one written in C)."""
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


@pytest.mark.parametrize("module, path, attr", NAMES,
                         ids=[f"{path}.{attr}" for _, path, attr in NAMES])
def test_the_private_name_still_exists_upstream(module, path, attr):
    owner = pkgutil.resolve_name(path)
    if hasattr(owner, attr):
        return
    owners = inspect.getmro(owner) if inspect.isclass(owner) else (owner,)
    assert any(re.search(rf"\.{re.escape(attr)}\b", source(o)) for o in owners), \
        f"{path} no longer has or sets {attr} (used by {module})"


def test_a_widget_made_with_its_classes_carries_them_from_its_first_state():
    import ipywidgets as widgets

    from bpttviz.upstream.ipywidgets_classes import classed

    made = classed(widgets.Button, "a", "b", "a", description="x")
    added = widgets.Button(description="x")
    added.add_class("a")
    added.add_class("b")
    assert made.get_state()["_dom_classes"] == added.get_state()["_dom_classes"] == ("a", "b")
    assert made.description == "x"
