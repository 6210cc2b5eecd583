"""What bpttviz relies on inside other projects beyond their public API, one module per project.

Each module lists at its top, in ``PRIVATE_NAMES``, the ``("module.path", "attribute")``
pairs it relies on, and is the only place in bpttviz that touches them;
``tests/test_upstream.py`` checks that each is still there, so an upgrade that removes one
fails a test that names it rather than a lesson page.
"""
