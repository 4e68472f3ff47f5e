# Q7: Grad-CAM maps of the trained CNN, with the checks that they mean something.


rule gradcam:
    input:
        model=rules.train_cnn.output.model,
        data=rules.mnist.output.data,
        order=rules.train_cnn.output.order,
    output:
        heatmaps="results/gradcam/heatmaps.npz",
        metrics="results/gradcam/metrics.json",
        grid=report(
            "results/gradcam/first_images.png",
            caption="../../report/captions/gradcam_grid.rst",
            category="Q7 Grad-CAM",
        ),
        class_maps=report(
            "results/gradcam/class_mean_maps.png",
            caption="../../report/captions/gradcam_classes.rst",
            category="Q7 Grad-CAM",
        ),
        sanity=report(
            "results/gradcam/randomisation_check.png",
            caption="../../report/captions/gradcam_sanity.rst",
            category="Q7 Grad-CAM",
        ),
        deletion=report(
            "results/gradcam/deletion_curves.png",
            caption="../../report/captions/gradcam_deletion.rst",
            category="Q7 Grad-CAM",
        ),
    log:
        "logs/gradcam/gradcam.log",
    benchmark:
        "benchmarks/gradcam/gradcam.tsv"
    conda:
        env("tensorflow")
    threads: config["compute"]["threads"]
    resources:
        gpu=1,
    params:
        code=code_of("gradcam.py"),
        settings=config["gradcam"],
        seed=SEED,
        lock_dir=config["compute"]["gpu_lock_dir"],
    script:
        "../../scripts/gradcam.py"
