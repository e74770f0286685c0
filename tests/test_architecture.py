"""The two tiers: the supported API never depends on the course, and lessons import one way."""

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kerasmodels

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kerasmodels"
COURSE = PACKAGE / "course"
STRING_IMPORTS = {"import_module", "__import__", "find_spec"}


def imported_names(path):
    """Every module a file imports: import statements and importlib calls with a string, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in STRING_IMPORTS:
                names += [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            # A module named in any string ("kerasmodels.course.x") counts as an import by string.
            names += re.findall(r"\bkerasmodels\.course\b[\w.]*", node.value)
    return names


def api_files():
    return [p for p in PACKAGE.rglob("*.py") if COURSE not in p.parents]


def test_nothing_outside_the_course_imports_the_course():
    offenders = {}
    for path in api_files():
        bad = [name for name in imported_names(path) if name == "kerasmodels.course" or name.startswith("kerasmodels.course.")]
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}, "the supported API imports course modules: " + repr(offenders)


def test_the_scanner_sees_every_kind_of_import(tmp_path):
    # The rule above is only as good as `imported_names`: prove it catches each form.
    fake = ROOT / "kerasmodels" / "_probe_for_test.py"
    samples = {
        "import kerasmodels.course.runner": "kerasmodels.course.runner",
        "from kerasmodels.course import plots": "kerasmodels.course.plots",
        "from .course import plots": "kerasmodels.course.plots",
        "importlib.import_module('kerasmodels.course.topics.gan')": "kerasmodels.course.topics.gan",
        "MODULES = ('kerasmodels.course.topics.gan',)": "kerasmodels.course.topics.gan",
    }
    try:
        for code, expected in samples.items():
            fake.write_text(code + "\n")
            assert expected in imported_names(fake), code
    finally:
        fake.unlink(missing_ok=True)


@pytest.mark.slow  # a fresh process imports the whole API, TensorFlow included
def test_importing_the_whole_api_loads_no_course_module():
    api = ", ".join(f"kerasmodels.{name}" for name in kerasmodels.API) + ", kerasmodels.cli"
    code = (f"import sys, {api}\n"
            "from kerasmodels.models import loading\n"
            "print(sorted(m for m in sys.modules if m.startswith('kerasmodels.course')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_top_level_lists_the_api_and_nothing_of_the_course():
    assert set(kerasmodels.API) == {"accelerate", "callbacks", "data", "distributed", "errors", "flops", "hardware",
                                    "models", "paths", "registry", "serving", "train"}
    assert "course" not in dir(kerasmodels)
    for name in kerasmodels.API:
        assert importlib.util.find_spec(f"kerasmodels.{name}") is not None, name
    top_level = {p.stem for p in PACKAGE.glob("*.py")} | {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    private = {name for name in top_level if name.startswith("_")}  # _project: names, no behaviour
    unlisted = top_level - private - set(kerasmodels.API) - {"cli", "course"}
    assert unlisted == set(), f"top-level modules neither in the API nor in course/: {unlisted}"


def test_callbacks_package_holds_callbacks_only():
    import keras

    from kerasmodels import callbacks

    for name in callbacks.__all__:
        obj = getattr(callbacks, name)
        assert callable(obj), name
        if isinstance(obj, type):
            assert issubclass(obj, keras.callbacks.Callback), name


def lesson_sources():
    return sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py")) + sorted((ROOT / "lessons" / "solutions").glob("*.py"))


def test_lessons_import_modules_never_names():
    """`km.models.cnn(...)` for the API, `from kerasmodels.course.scratch import numpy_nn` for course modules."""
    problems = []
    for path in lesson_sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kerasmodels"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if node.module == "kerasmodels":
                        if alias.name != "course":
                            problems.append(f"{path.name}: use km.{alias.name}, not a from-import")
                    elif not node.module.startswith("kerasmodels.course"):
                        problems.append(f"{path.name}: use km.{full[len('kerasmodels.'):]}, not a from-import")
                    elif importlib.util.find_spec(full) is None:
                        problems.append(f"{path.name}: import the module, not the name {full}")
    assert problems == []


# The training core: no import circle, an explicit public surface (issue 28) -----------------------------

def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path):
    """The kerasmodels modules a file imports when it is imported (module level, not inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names]  # a name, not a module: resolved to base below
        else:
            continue
        for name in names:
            # `from kerasmodels import x` imports kerasmodels.x when x is a module, else kerasmodels itself.
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name.startswith("kerasmodels"):
                found.add(name)
    return found


def import_graph():
    graph = {}
    for path in api_files():
        name = module_name(path)
        # `kerasmodels` itself (the lazy API index) is a package every module lives in, not a dependency.
        graph[name] = top_level_imports(path) - {name, "kerasmodels"}
    return graph


def find_cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_package_import_graph_has_no_cycle():
    graph = import_graph()
    assert "kerasmodels.distributed" in graph["kerasmodels.train"]  # the scanner sees the core's edges
    assert "kerasmodels.registry" in graph["kerasmodels.accelerate"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))
    # accelerate decides for one process; distributed calls it, never the other way round (not even
    # inside a function: the old circle was accelerate.setup() importing distributed).
    for low, high in (("accelerate", "distributed"), ("accelerate", "train"), ("hardware", "accelerate"),
                      ("registry", "accelerate"), ("registry", "train"), ("flops", "accelerate")):
        names = imported_names(PACKAGE / f"{low}.py")
        assert not any(n == f"kerasmodels.{high}" or n.startswith(f"kerasmodels.{high}.") for n in names), (low, high)
    assert find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]  # the finder finds one


def unit(module):
    """The part of the package a module belongs to: `kerasmodels.models.cnn` -> `kerasmodels.models`."""
    return ".".join(module.split(".")[:2])


def test_no_circle_even_through_imports_inside_functions():
    """Issue 28: no two parts of the API import each other, at import time or later (lazily, by string)."""
    graph = {}
    for path in api_files():
        here = unit(module_name(path))
        if here == "kerasmodels":
            continue  # the lazy API index names every part
        targets = {unit(n) for n in imported_names(path) if n.startswith("kerasmodels.")}
        graph.setdefault(here, set()).update(targets - {here, "kerasmodels"})
    assert "kerasmodels.models" in graph["kerasmodels.registry"]  # the registry builds models, lazily
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_every_api_module_declares_its_public_names():
    missing, unknown = [], {}
    for name in kerasmodels.API:
        module = importlib.import_module(f"kerasmodels.{name}")
        if not isinstance(getattr(module, "__all__", None), (list, tuple)):
            missing.append(name)
            continue
        absent = [n for n in module.__all__ if not hasattr(module, n)]
        if absent:
            unknown[name] = absent
    assert missing == [] and unknown == {}
    from kerasmodels import distributed, train

    # Helpers are not public by accident.
    assert "free_ports" not in distributed.__all__ and callable(distributed.free_ports)
    assert "train" in train.__all__


def test_moved_names_keep_working():
    from kerasmodels import accelerate, flops, registry

    assert accelerate.Recipe is registry.Recipe
    assert accelerate.recipe("cnn") == registry.model_kind("cnn").recipe()
    assert accelerate.GPU_CNN_BATCH == registry.GPU_CNN_BATCH
    assert callable(accelerate.benchmark_precisions) and callable(flops.benchmark_precisions)


def readme_api_rows():
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        match = re.match(r"\| `kerasmodels\.(\w+)` \| ([^|]*) \|", line)
        if match:
            rows[match.group(1)] = re.findall(r"`([^`]+)`", match.group(2))
    return rows


def test_the_readme_api_table_lists_each_modules_all():
    rows = readme_api_rows()
    assert set(rows) == set(kerasmodels.API), "one README row per API module"
    for name, listed in rows.items():
        module = importlib.import_module(f"kerasmodels.{name}")
        assert sorted(listed) == sorted(module.__all__), f"README's row for kerasmodels.{name} != its __all__"
