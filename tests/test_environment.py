"""pyproject.toml, environment.yml and requirements.lock name the same dependencies."""
from __future__ import annotations

import re
import tomllib

import yaml

from helpers import paths

ROOT = paths.PROJECT_ROOT


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0].lower().replace("_", "-")


def pyproject_specs() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return {_name(s): s.replace(" ", "") for s in specs}


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    conda_specs = {_name(s): s.replace(" ", "") for s in conda if _name(s) not in {"python", "pip"}}
    assert conda_specs == pyproject_specs()
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section == ["-e ."]


def test_lock_pins_every_dependency_within_its_range():
    from packaging.specifiers import SpecifierSet
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name)] = version
    for name, spec in pyproject_specs().items():
        assert name in pins, f"{name} is not pinned in requirements.lock"
        assert pins[name] in SpecifierSet(spec[len(name):]), f"{name}=={pins[name]} outside {spec}"


def test_every_package_the_code_imports_is_declared():
    # a package used directly must be a declared dependency, not one that happens to come along
    import ast
    import sys
    from importlib.metadata import packages_distributions

    dists = packages_distributions()
    declared = set(pyproject_specs())
    undeclared = {}
    for path in sorted(paths.PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                     else [])
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "helpers":
                    continue
                owners = {_name(d) for d in dists.get(top, [top])}
                if not owners & declared:
                    undeclared.setdefault(top, []).append(str(path.relative_to(paths.PACKAGE_DIR)))
    assert not undeclared, f"imported but not in pyproject.toml: {undeclared}"
