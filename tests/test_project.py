"""The project's own rules: pins agree, README and CI agree, lint and formatters are clean."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import yaml
from conftest import BIN, REPO, loaded_packages, snakemake_exe


def pins(lines):
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            found[name.strip().lower().replace("_", "-")] = version.strip()
    return found


def test_envs_agree_with_requirements():
    required = pins((REPO / "requirements.txt").read_text().splitlines())
    for env_file in sorted((REPO / "envs").glob("*.yaml")):
        env = yaml.safe_load(env_file.read_text())
        pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
        assert pip_lists, f"{env_file.name} has no pip section"
        for name, version in pins(pip_lists[0]).items():
            assert required.get(name) == version, (
                f"{env_file.name}: {name}=={version} vs requirements.txt"
            )


def test_report_env_has_no_tensorflow():
    text = (REPO / "envs" / "report.yaml").read_text()
    assert "tensorflow" not in text and "keras" not in text


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", readme, flags=re.S)
    test_commands = [b.strip() for b in blocks if "pytest" in b and "bootstrap" in b]
    assert test_commands, "README has no test command"
    assert test_commands[0] in ci


def rule_blocks(text):
    return re.split(r"^(?=rule \w+:)", text, flags=re.M)[1:]


def test_every_rule_has_log_benchmark_conda():
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for block in rule_blocks(smk.read_text()):
            name = block.split(":")[0]
            for directive in ("log:", "benchmark:", "conda:"):
                assert f"    {directive}" in block, f"{smk.name}: {name} has no {directive}"


def test_training_rules_declare_a_gpu():
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for block in rule_blocks(smk.read_text()):
            name = block.split(":")[0].replace("rule ", "")
            if name == "tune_cnn":  # one GPU per worker of the search
                assert "gpu=TUNING_WORKERS" in block, "tune_cnn must ask a GPU per worker"
            elif name in {"train_cnn", "gradcam", "train_lstm", "lookback_sweep"}:
                assert "gpu=1" in block, f"{name} must declare resources: gpu=1"


def test_snakemake_lint_is_clean():
    result = subprocess.run(
        [snakemake_exe(), "--lint"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_formatters_leave_the_code_unchanged():
    for cmd in (
        ["ruff", "format", "--check", "."],
        ["ruff", "check", "."],
        ["snakefmt", "--check", "."],
    ):
        exe = BIN / cmd[0]
        result = subprocess.run([str(exe), *cmd[1:]], cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, f"{' '.join(cmd)}:\n{result.stdout}{result.stderr}"


def test_no_module_imports_snakemake():
    for module in (REPO / "scripts" / "hw4").rglob("*.py"):
        text = module.read_text()
        assert not re.search(r"^\s*(import|from) snakemake", text, flags=re.M), module


def test_report_modules_never_import_tensorflow():
    modules = ["hw4.report.render", "hw4.report.context", "hw4.report.typography"]
    modules.append("hw4.report.formulas")
    assert loaded_packages(modules, ("tensorflow", "keras")) == []


# --- the house: one rule, one entry script, one step ------------------------------------------

ENTRY_SCRIPTS = REPO / "scripts"
STEPS = REPO / "scripts" / "hw4" / "steps"

# What an entry script may not contain: it wires snakemake.input/params/output/log to a step
# and writes what the step returns; every decision and every number is the step's.
NOT_WIRING = {
    ast.If: "a branch",
    ast.IfExp: "a conditional expression",
    ast.For: "a loop",
    ast.While: "a loop",
    ast.Try: "an exception handler",
    ast.ListComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Lambda: "a lambda",
    ast.FunctionDef: "a function",
    ast.ClassDef: "a class",
    ast.BinOp: "arithmetic",
    ast.UnaryOp: "arithmetic",
    ast.AugAssign: "arithmetic",
    ast.Compare: "a comparison",
    ast.BoolOp: "a boolean operation",
}


def rules_and_scripts() -> dict[str, str]:
    """{rule name: the script path its ``script:`` directive names}, for every rule with one."""
    found = {}
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for block in rule_blocks(smk.read_text()):
            name = block.split(":")[0].replace("rule ", "").strip()
            script = re.search(r"^    script:\n\s+\"([^\"]+)\"", block, flags=re.M)
            if script:
                found[name] = Path(script.group(1)).name
    return found


def test_every_rule_runs_an_entry_script_named_after_it():
    rules = rules_and_scripts()
    assert rules, "no rule with a script: directive found"
    for rule, script in rules.items():
        assert script == f"{rule}.py", f"rule {rule} runs {script}, expected {rule}.py"
    scripts = {p.stem for p in ENTRY_SCRIPTS.glob("*.py")}
    assert scripts == set(rules), f"entry scripts without a rule: {sorted(scripts - set(rules))}"


def test_every_rule_has_a_step_with_run():
    for rule in rules_and_scripts():
        step = STEPS / f"{rule}.py"
        assert step.exists(), f"rule {rule} has no step module hw4/steps/{rule}.py"
        tree = ast.parse(step.read_text())
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert "run" in functions, f"hw4/steps/{rule}.py has no run()"
        entry = (ENTRY_SCRIPTS / f"{rule}.py").read_text()
        assert f"hw4.steps.{rule}" in entry or f"from hw4.steps import {rule}" in entry, (
            f"scripts/{rule}.py does not call its step hw4.steps.{rule}"
        )


def test_entry_scripts_only_wire():
    for script in sorted(ENTRY_SCRIPTS.glob("*.py")):
        tree = ast.parse(script.read_text())
        for node in ast.walk(tree):
            kind = NOT_WIRING.get(type(node))
            assert kind is None, (
                f"{script.name}:{node.lineno}: {kind} in an entry script; move it into the step"
            )
        first_call = next(
            n for n in tree.body if isinstance(n, (ast.Expr, ast.Assign)) and n is not tree.body[0]
        )
        assert "setup_logging(snakemake.log[0])" in ast.unparse(first_call), (
            f"{script.name}: the first statement must send output to the rule's log"
        )


def test_default_profile_is_read_by_snakemake():
    profile = yaml.safe_load((REPO / "profiles" / "default" / "config.yaml").read_text())
    # Failed logs are shown by the onerror hook (hw4.io.logs.end_with_refusals), which ends
    # a run stopped by its user with one line instead.
    assert profile["rerun-incomplete"] and profile["show-failed-logs"] is False
    assert profile["resources"] == {"gpu": 1}
    result = subprocess.run(
        [snakemake_exe(), "--cores", "1", "-n", "--quiet", "rules"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Using workflow specific profile profiles/default" in result.stdout + result.stderr


def test_readme_rule_table_names_every_rule_its_script_and_step():
    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("### Rule by rule") :]
    rows = {
        cells[0].strip("` "): cells
        for line in table.splitlines()
        if line.startswith("| `")
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
    }
    assert set(rows) == set(rules_and_scripts())
    for rule, cells in rows.items():
        assert cells[2] == f"`scripts/{rule}.py`", cells
        assert cells[3] == f"`hw4.steps.{rule}.run`", cells
        for module in re.findall(r"`([\w.]+)`", cells[4]):
            path = module if module.startswith("hw4.") else f"hw4.methods.{module}"
            if not (REPO / "scripts" / (path.replace(".", "/") + ".py")).exists():
                path = f"hw4.report.{module}"
            assert (REPO / "scripts" / (path.replace(".", "/") + ".py")).exists(), (rule, module)
