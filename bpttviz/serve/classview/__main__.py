"""``python -m bpttviz.serve.classview``: the class view on its own (see :mod:`bpttviz.hub`)."""

from . import main

raise SystemExit(main())
