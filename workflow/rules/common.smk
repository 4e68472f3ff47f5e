# Helpers that every topic file uses (config validation and the small input
# functions of the rules). Nothing here trains or reads data.

import os
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from hw4.config_check import (  # noqa: E402
    ConfigError,
    check_config,
    check_config_files,
    missing_student_details,
    repeated_configfile_option,
)
from hw4.io.code_fingerprint import code_fingerprint  # noqa: E402

SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"

# One line naming the key and what is allowed, before any job starts. The files are read
# again as typed first: a key given twice or a retyped ID no longer shows in the merged config.
if workflow.is_main_process and repeated_configfile_option(sys.argv):
    sys.exit(f"config error: {repeated_configfile_option(sys.argv)}")
try:
    check_config_files(workflow.configfiles)
    check_config(config, SCHEMA)
except ConfigError as error:
    sys.exit(f"config error: {error}")
validate(config, SCHEMA)

# A hand-in whose title page would print "Name: —": said once, at the start of the run.
if workflow.is_main_process and missing_student_details(config):
    print(missing_student_details(config), file=sys.stderr)

SEED = config["seed"]


def env(name):
    """The conda environment file of one software stack."""
    return f"../../envs/{name}.yaml"


def in_repo(path):
    """A file that ships with the workflow, wherever the working directory is (--directory)."""
    return str(Path(workflow.basedir) / path)


def code_of(script):
    """The digest of every hw4 module that scripts/<script> reaches through imports: given as
    a rule's ``code`` parameter, so that editing any of them reruns that rule and everything
    downstream (Snakemake's params trigger; its own code trigger sees the script alone)."""
    return code_fingerprint(in_repo(f"scripts/{script}"), in_repo("scripts"))


def all_files_under(folder):
    """Every file under ``folder``, so that editing any template reruns the report."""
    return sorted(str(p) for p in Path(folder).rglob("*") if p.is_file())


def announce_start():
    """The workflow's ``onstart`` hook: the training the run plans, and the jobs an earlier
    run left unfinished (hw4.run_start); the plan also goes to the jobs' environment, for the
    estimate tune_cnn prints once its first trial is timed."""
    from hw4.methods.time_left import RUN_PLAN_VARIABLE
    from hw4.run_start import plan_json, start_lines

    jobs = list(workflow.dag.needrun_jobs())
    rules_to_run = {job.rule.name for job in jobs}
    unfinished = set(map(str, workflow.dag.forcefiles))
    interrupted = {job.rule.name for job in jobs if unfinished & set(map(str, job.output))}
    os.environ[RUN_PLAN_VARIABLE] = plan_json(config, rules_to_run)
    for line in start_lines(config, rules_to_run, interrupted):
        print(line, file=sys.stderr)
