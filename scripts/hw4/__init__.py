"""Logic of the HW4 report workflow.

Each module takes arrays, frames and plain settings and returns them. None of
them imports snakemake; the modules the report needs never import TensorFlow.
The thin scripts one level up wire a rule's inputs and outputs to these.
"""
