"""Q4: parameter counts of comparable convolutional and recurrent layers, by formula.

On an input with c channels (features per step):
    Conv1D(f filters, kernel k):  f (k c + 1)
    SimpleRNN(u units):           u (c + u + 1)
    LSTM(u):                      4 u (c + u + 1)      (four gates)
    GRU(u), reset_after=True:     3 u (c + u + 2)      (three gates, two bias vectors)
A convolution's count does not depend on the sequence length; a recurrent layer
shares one set of weights across all steps, but must take them one after another.
"""

from __future__ import annotations


def conv1d_params(channels: int, filters: int, kernel: int) -> int:
    return filters * (kernel * channels + 1)


def simple_rnn_params(channels: int, units: int) -> int:
    return units * (channels + units + 1)


def lstm_params(channels: int, units: int) -> int:
    return 4 * units * (channels + units + 1)


def gru_params(channels: int, units: int, reset_after: bool = True) -> int:
    return 3 * units * (channels + units + (2 if reset_after else 1))


# (channels, width, kernel) -> parameters, for each layer kind; the kernel only matters to Conv1D.
FORMULAS = {
    "Conv1D": lambda channels, width, kernel: conv1d_params(channels, width, kernel),
    "SimpleRNN": lambda channels, width, kernel: simple_rnn_params(channels, width),
    "LSTM": lambda channels, width, kernel: lstm_params(channels, width),
    "GRU": lambda channels, width, kernel: gru_params(channels, width),
}


def sequential_steps(kind: str, length: int, layers: int = 1) -> int:
    """Steps that must run one after another: a recurrent layer's T, a conv stack's depth."""
    if kind in ("SimpleRNN", "LSTM", "GRU"):
        return length * layers
    return layers


def receptive_field(kernel: int, dilations: list[int]) -> int:
    """Steps of input one output of a causal conv stack sees: 1 + sum of (K - 1) D per layer."""
    return 1 + sum((kernel - 1) * dilation for dilation in dilations)


def stack_dilations(layers: int) -> list[int]:
    """Dilations 1, 2, 4, ... of a WaveNet/TCN-style stack: the receptive field doubles per layer."""
    return [2**layer for layer in range(layers)]


def conv_stack_params(channels: int, width: int, layers: int, kernel: int) -> int:
    """A stack of ``layers`` Conv1D(width, kernel) on ``channels`` inputs, then Dense(1)."""
    return (
        conv1d_params(channels, width, kernel)
        + (layers - 1) * conv1d_params(width, width, kernel)
        + width
        + 1
    )


def lstm_model_params(channels: int, units: int) -> int:
    """One LSTM(units) on ``channels`` inputs, then Dense(1)."""
    return lstm_params(channels, units) + units + 1


def matched_conv_width(channels: int, lstm_units: int, layers: int, kernel: int) -> int:
    """The conv stack width whose parameter count is closest to the LSTM model's (Q4 compares
    models of matched size; the smaller width wins a tie)."""
    target = lstm_model_params(channels, lstm_units)
    widths = range(1, 4 * lstm_units + 1)
    return min(
        widths, key=lambda width: abs(conv_stack_params(channels, width, layers, kernel) - target)
    )
