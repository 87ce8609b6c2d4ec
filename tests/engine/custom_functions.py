"""Custom Functions shared by the engine tests."""
import autodiff as ad


class TwoOutputs(ad.Function):
    """Two outputs: (2 x, 3 x)."""

    @staticmethod
    def forward(ctx, x):
        return x * 2.0, x * 3.0

    @staticmethod
    def backward(ctx, g1, g2):
        return g1 * 2.0 + g2 * 3.0
