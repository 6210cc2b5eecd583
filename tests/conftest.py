"""Suite-wide order: the browser tests run last.

Playwright's sync API keeps an asyncio event loop running in the main thread for
as long as its session lasts; tests that run their own loop (asyncio.run) or that
ask whether one is running must not see it.

``make test`` runs the suite on every core with pytest-xdist (``-n auto --dist
loadgroup``). Each worker is a session of its own that runs its share in this order
(xdist hands a worker its tests in collection order), so session fixtures, the
browser tests' server and Chromium among them, are made once per worker that needs
them. The tests of an ``xdist_group`` run on one worker (tests/test_wheel.py: one
build of the wheel).
"""


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
