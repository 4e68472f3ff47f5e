# The HW4 report workflow: data -> analyses -> one bilingual PDF.
#
#   snakemake --cores all --resources gpu=1
#
# builds results/report/hw4-report.pdf. Settings: config.yaml (described in
# workflow/schemas/config.schema.yaml). Rules, by topic: workflow/rules/*.smk.


configfile: "config.yaml"


report: "report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/shapes.smk"
include: "workflow/rules/tuning.smk"
include: "workflow/rules/cnn.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/gradcam.smk"
include: "workflow/rules/lstm.smk"
include: "workflow/rules/rnn_vs_cnn.smk"
include: "workflow/rules/batchnorm.smk"
include: "workflow/rules/report.smk"


localrules:
    all,


rule all:
    default_target: True
    input:
        "results/report/hw4-report.pdf",


# Before the first job: the training planned, and what an interrupted run left (hw4.run_start).
onstart:
    announce_start()


# A refused input ends the run with its one line, printed last (hw4.io.logs).
onerror:
    from hw4.io.logs import end_with_refusals

    end_with_refusals(log)
