"""What bpttviz relies on inside other projects beyond their public API is still there.

Each module of ``bpttviz.upstream`` lists its ``PRIVATE_NAMES``: ``("module.path",
"attribute")`` pairs, an attribute of the module or one that the module's classes set on
their instances (``self.<attribute> = ...``). An upgrade of Voila, jupyter_server or
Matplotlib that drops one fails here, naming it.
"""

import importlib
import inspect
import pkgutil
import re

import pytest

import bpttviz.upstream

MODULES = sorted(m.name for m in pkgutil.iter_modules(bpttviz.upstream.__path__,
                                                      "bpttviz.upstream."))
PAIRS = [(name, module, attribute) for name in MODULES
         for module, attribute in importlib.import_module(name).PRIVATE_NAMES]


def test_every_upstream_module_lists_what_it_relies_on():
    assert MODULES
    for name in MODULES:
        names = importlib.import_module(name).PRIVATE_NAMES
        assert names and all(isinstance(m, str) and isinstance(a, str) for m, a in names), name


@pytest.mark.parametrize("owner, module, attribute", PAIRS,
                         ids=[f"{m}.{a}" for _, m, a in PAIRS])
def test_each_private_name_is_still_there(owner, module, attribute):
    target = importlib.import_module(module)
    assigned = re.search(rf"\bself\.{re.escape(attribute)}\s*(:[^=\n]*)?=(?!=)",
                         inspect.getsource(target))
    assert hasattr(target, attribute) or assigned, (
        f"{module} no longer has {attribute}, which {owner} relies on")
