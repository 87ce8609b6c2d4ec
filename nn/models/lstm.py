"""``LSTMClassifier``: an LSTM reads a sequence; a Linear layer classifies its last state."""
from __future__ import annotations

from ..linear import Linear
from ..module import Module
from ..recurrent import LSTM


class LSTMClassifier(Module):
    """``LSTM(input_size, hidden_size, num_layers, batch_first=True)`` followed by
    ``Linear(hidden_size, num_classes)`` on the top layer's final hidden state ``h_n[-1]``.

    Input ``(N, L, input_size)`` (batch first), output logits ``(N, num_classes)``.
    """

    def __init__(self, input_size, hidden_size=64, num_classes=10, num_layers=1):
        super().__init__()
        self.lstm = LSTM(input_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.fc = Linear(hidden_size, num_classes)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.fc(h_n[-1])
