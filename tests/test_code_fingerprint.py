"""The project modules a rule's script reaches, and the digest that reruns the rule when one
of them changes (hw4.io.code_fingerprint)."""

from __future__ import annotations

from conftest import REPO

from hw4.io.code_fingerprint import code_fingerprint, imported_modules, reachable_sources

SCRIPTS = REPO / "scripts"


def test_imports_anywhere_in_a_module_count_and_libraries_do_not():
    source = (
        "import numpy as np\n"
        "from hw4.io import files\n"
        "def f():\n"
        "    from hw4.methods.shapes import conv_output_size\n"
        "    import hw4.device\n"
        "from .q5_shapes import run\n"
    )
    found = imported_modules(source, "hw4.steps.report")
    assert {"hw4.io", "hw4.io.files", "hw4.methods.shapes", "hw4.device"} <= found
    assert "hw4.steps.q5_shapes" in found and not any(n.startswith("numpy") for n in found)


def test_the_q5_rule_reaches_the_shape_arithmetic_and_not_the_cnns():
    names = {
        p.relative_to(SCRIPTS).as_posix()
        for p in reachable_sources(SCRIPTS / "q5_shapes.py", SCRIPTS)
    }
    assert {"hw4/methods/shapes.py", "hw4/steps/q5_shapes.py", "hw4/__init__.py"} <= names
    assert "hw4/methods/mnist_cnn.py" not in names and "hw4/report/render.py" not in names


def test_the_report_reaches_its_stack_and_no_training_code():
    names = {
        p.relative_to(SCRIPTS).as_posix() for p in reachable_sources(SCRIPTS / "report.py", SCRIPTS)
    }
    assert {"hw4/report/render.py", "hw4/report/claims.py", "hw4/steps/report.py"} <= names
    assert not any(n.startswith("hw4/methods/") and "cnn" in n for n in names)


def test_the_digest_follows_the_text_of_every_reached_module_only(tmp_path):
    package = tmp_path / "hw4"
    (package / "methods").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "methods" / "__init__.py").write_text("")
    (package / "methods" / "shapes.py").write_text("def size(w):\n    return w\n")
    (package / "methods" / "other.py").write_text("X = 1\n")
    script = tmp_path / "rule.py"
    script.write_text("from hw4.methods.shapes import size\n")
    before = code_fingerprint(script, tmp_path)
    (package / "methods" / "other.py").write_text("X = 2\n")
    assert code_fingerprint(script, tmp_path) == before
    (package / "methods" / "shapes.py").write_text("def size(w):\n    return w + 1\n")
    assert code_fingerprint(script, tmp_path) != before
