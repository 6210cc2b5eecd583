"""Suite-wide order: the browser tests run last.

Playwright's sync API keeps an asyncio event loop running in the main thread for
as long as its session lasts; tests that run their own loop (asyncio.run) or that
ask whether one is running must not see it.

``make test`` runs the suite on every core with pytest-xdist (``-n auto``, its default
``load`` distribution). Each worker is a session of its own that runs its share in
this order (xdist hands a worker its tests in collection order), so session and
module fixtures are made once per worker that needs them: the browser tests' server
and Chromium, say, once on each. A fixture that must be made once per run takes a
lock in the run's shared temporary folder (tests/test_wheel.py's wheel). xdist's
``--dist loadgroup`` would keep marked tests together, but with pytest 9.2 it no
longer does (xdist 3.8 renames ``item._nodeid``, which pytest 9.2 stopped reading).
"""


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
