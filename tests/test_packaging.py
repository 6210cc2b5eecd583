"""The project's promises about itself: one dependency list, a NumPy-only engine."""

import ast
import pathlib
import re
import subprocess
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# The only modules that may import matplotlib or ipywidgets.
UI = {"plots", "plots_lessons", "app", "cli", "hub", "serve", "upstream"}
PURE = sorted(str(p.relative_to(ROOT / "bpttviz").with_suffix("")) for p in (ROOT / "bpttviz").rglob("*.py")
              if p.relative_to(ROOT / "bpttviz").parts[0].removesuffix(".py") not in UI)


def requirement_names(reqs):
    return {re.split(r"[<>=!~ \[]", r, maxsplit=1)[0].strip().lower() for r in reqs}


def conda_names(path):
    """Package names listed in a conda environment file (python and pip excluded)."""
    names, in_pip = set(), False
    text = path.read_text()
    for line in text[text.index("dependencies:"):].splitlines()[1:]:
        item = line.split("#")[0].rstrip()
        if re.match(r"^\s*- pip:\s*$", item):
            in_pip = True
            continue
        m = re.match(r"^(\s*)- (\S+)", item)
        if not m:
            in_pip = in_pip and bool(item.strip())
            continue
        if in_pip and len(m.group(1)) > 2:
            continue                      # "-e ." installs this package
        name = requirement_names([m.group(2)]).pop()
        if name not in ("python", "pip"):
            names.add(name)
    return names


def read_project_dependencies(text):
    """``{"dependencies": [...], "optional-dependencies": {extra: [...]}}`` of a pyproject text.

    Used where tomllib is missing (Python 3.10): the arrays are lists of quoted strings.
    """
    def strings(block):
        return re.findall(r'"([^"]+)"', block)
    # An array ends at a "]" that ends its line ("bpttviz[app]" inside one does not).
    deps = strings(re.search(r"^dependencies = \[(.*?)\]\s*$", text, re.S | re.M).group(1))
    extras_text = text[text.index("[project.optional-dependencies]"):]
    extras_text = extras_text[:extras_text.find("\n[", 1)]
    extras = {m.group(1): strings(m.group(2))
              for m in re.finditer(r"^(\w+) = \[(.*?)\]\s*$", extras_text, re.S | re.M)}
    return {"project": {"dependencies": deps, "optional-dependencies": extras}}


@pytest.fixture(scope="module")
def pyproject():
    text = (ROOT / "pyproject.toml").read_text()
    if tomllib is None:
        return read_project_dependencies(text)
    return tomllib.loads(text)


def test_the_fallback_reader_agrees_with_tomllib():
    if tomllib is None:
        pytest.skip("tomllib needs Python >= 3.11 to compare with")
    text = (ROOT / "pyproject.toml").read_text()
    project = tomllib.loads(text)["project"]
    assert read_project_dependencies(text)["project"] == {
        "dependencies": project["dependencies"],
        "optional-dependencies": project["optional-dependencies"]}


def test_the_wheel_ships_every_folder_of_the_package_and_the_notebooks():
    if tomllib is None:
        pytest.skip("tomllib needs Python >= 3.11")
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {".".join(p.relative_to(ROOT).parts) for p in (ROOT / "bpttviz").rglob("*")
               if p.is_dir() and not any(part == "__pycache__" or part.startswith(".")
                                         for part in p.relative_to(ROOT).parts)}
    missing = sorted(folders - set(setuptools["packages"]))
    assert not missing, f"pyproject.toml's packages lack {missing}"
    assert setuptools["package-dir"]["bpttviz.notebooks"] == "notebooks"
    assert "bpttviz.notebooks" in setuptools["packages"]


@pytest.mark.parametrize("env", ["environment.yml", ".binder/environment.yml"])
def test_conda_environments_list_the_runtime_and_app_dependencies(pyproject, env):
    project = pyproject["project"]
    expected = requirement_names(project["dependencies"] + project["optional-dependencies"]["app"])
    assert conda_names(ROOT / env) == expected


def test_conda_environment_installs_the_package():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s+- -e \.\s*$", text, re.M)
    assert "pip install --no-deps -e ." in (ROOT / ".binder" / "postBuild").read_text()


@pytest.mark.parametrize("module", PURE)
def test_engine_modules_import_only_numpy_and_the_standard_library(module):
    tree = ast.parse((ROOT / "bpttviz" / f"{module}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:                          # relative: must stay outside the UI modules
                assert (node.module or "").split(".")[0] not in UI, ast.dump(node)
                continue
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert top == "numpy" or top in sys.stdlib_module_names, f"{module} imports {name}"


def test_importing_the_package_loads_no_plotting_or_widget_library():
    code = ("import sys, bpttviz, bpttviz.engine; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'IPython', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make demo" in readme
    assert re.search(r"^make test\s*$", ci, re.M)
