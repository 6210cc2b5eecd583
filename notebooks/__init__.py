"""The lesson notebooks: the landing page ``index.ipynb`` and one notebook per lesson.

This folder installs as the package ``bpttviz.notebooks`` (see pyproject.toml), so that
bpttviz finds its notebooks through ``importlib.resources`` wherever it is installed, from a
wheel or editable from this checkout. Voila lists only the notebooks.
"""
