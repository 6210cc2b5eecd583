"""Private names of other projects that bpttviz still relies on, one module per project.

Where a project offers no public way to do what a lesson needs, the private
names are used from here only, and each module lists them at its top in
``PRIVATE_NAMES`` (``("module.path", "attribute")`` pairs), so that
``tests/test_upstream.py`` says at once when a new release removes one.
"""
