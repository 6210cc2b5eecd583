"""Suite-wide order: the browser tests run last.

Playwright's sync API keeps an asyncio event loop running in the main thread for
as long as its session lasts; tests that run their own loop (asyncio.run) or that
ask whether one is running must not see it.
"""


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
