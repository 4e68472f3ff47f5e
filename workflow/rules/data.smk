# Data: MNIST (for the tuner, the fixed CNN and Grad-CAM) and the hourly energy
# series (for the LSTM). Downloads are cached under resources/.

from hw4.data.mnist import IDX_FILES, idx_file_names


def mnist_user_files(settings):
    """With ``source: path``, the user's files, so that editing them reruns the mnist rule.

    An ``.npz`` file is itself; a folder gives its four IDX files (the name found for each, else
    the first name looked for, which Snakemake then reports missing). Other sources: none.
    """
    if settings["source"] != "path":
        return []
    path = Path(settings["path"])
    if not path.is_dir():
        return [str(path)]
    files = []
    for stem in IDX_FILES.values():
        names = idx_file_names(stem)
        found = [name for name in names if (path / name).exists()]
        files.append(str(path / (found or names)[0]))
    return files


rule mnist:
    input:
        user_files=mnist_user_files(config["data"]["mnist"]),
    output:
        data="results/data/mnist.npz",
        provenance="results/data/mnist.provenance.json",
    log:
        "logs/data/mnist.log",
    benchmark:
        "benchmarks/data/mnist.tsv"
    conda:
        env("data")
    params:
        settings=config["data"]["mnist"],
        cache_dir="resources",
        seed=SEED,
    script:
        "../../scripts/mnist.py"


rule energy:
    output:
        table="results/data/energy.csv",
        provenance="results/data/energy.provenance.json",
    log:
        "logs/data/energy.log",
    benchmark:
        "benchmarks/data/energy.tsv"
    conda:
        env("data")
    params:
        settings=config["data"]["gas"],
        cache_dir="resources",
        min_rows=200,
    script:
        "../../scripts/prepare_energy.py"
