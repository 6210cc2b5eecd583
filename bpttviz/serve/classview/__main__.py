"""``python -m bpttviz.serve.classview``: the class view on its own (see :mod:`bpttviz.hub`)."""

from .command import main

raise SystemExit(main())
