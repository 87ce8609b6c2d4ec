"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their cells ``RNNCell``, ``LSTMCell``,
``GRUCell``, as PyTorch's.

Arguments, parameter names (``weight_ih_l0``, ``weight_hh_l0_reverse``, ``bias_ih_l1``, ...),
shapes, gate order (LSTM i, f, g, o; GRU r, z, n with ``b_hn`` inside the reset product),
default initialisation (every parameter ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``,
drawn in parameter order from ``ad.manual_seed``'s stream) and the shapes and direction
order of the outputs are PyTorch's, so a ``state_dict`` copied from torch gives the same
outputs and gradients.

Each layer and direction is one fused graph node (``autodiff.ops.recurrent``): one GEMM
projects the inputs of all time steps, then each step runs one GEMM and a fused gate kernel;
float32 gates use a vectorised tanh accurate to float32 round-off (see
``autodiff.kernels.recurrent``), float64 NumPy's exact ufuncs.

Deliberate differences from PyTorch: ``proj_size`` (LSTM projections) and ``PackedSequence``
inputs are not supported (``proj_size != 0`` raises ``NotImplementedError``); shape errors
raise ``ValueError`` (PyTorch raises ``RuntimeError`` for some of them); ``RNNCell`` rejects an
unknown nonlinearity when constructed (PyTorch: at the first forward).
"""
from __future__ import annotations

import math
import numbers
import warnings
import weakref

import numpy as np

from autodiff.kernels import recurrent_arrays as RA
from autodiff.ops import recurrent as R
from autodiff.ops.shape import joins, views
from autodiff.tensor import Tensor

from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _float_dtype(dtype):
    dt = np.dtype(np.float32 if dtype is None else dtype)
    if dt.kind != "f":
        raise TypeError(f"expected a floating point dtype, got {dt}")
    return dt


def _check_size(name, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


def _check_tensor(op, name, t):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")


def _check_dtype(op, t, weight):
    if t.dtype != weight.dtype:
        raise ValueError(f"{op}: input dtype ({t.dtype}) does not match weight dtype "
                         f"({weight.dtype}). Convert the input with .to({weight.dtype}) or the "
                         f"model with .to({t.dtype})")


def _check_input(module, input, ndims, weight):
    """The input checks of the layers and the cells: a Tensor with ``ndims`` (unbatched,
    batched) dimensions, ``weight``'s dtype and ``module.input_size`` features. Returns
    ``(module's name, batched)``."""
    name = type(module).__name__
    _check_tensor(name, "input", input)
    if input.ndim not in ndims:
        raise ValueError(f"{name}: Expected input to be {ndims[0]}D or {ndims[1]}D, got "
                         f"{input.ndim}D tensor instead (shape {tuple(input.shape)})")
    _check_dtype(name, input, weight)
    if input.shape[-1] != module.input_size:
        raise ValueError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                         f"{module.input_size}, got {input.shape[-1]} (input shape "
                         f"{tuple(input.shape)})")
    return name, input.ndim == ndims[1]


def _reset_parameters(self):
    """Every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in parameter order
    (``reset_parameters`` of the layers and of the cells)."""
    stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
    for weight in self.parameters():
        init.uniform_(weight, -stdv, stdv)


class RNNBase(Module):
    """Shared machinery of ``RNN``, ``LSTM`` and ``GRU`` (``mode``: 'RNN_TANH', 'RNN_RELU',
    'LSTM' or 'GRU')."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        # the layers' cached activation buffers live no longer than the modules using them
        weakref.finalize(self, RA.clear_workspace)
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + str(mode))
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: "
                            f"{type(batch_first).__name__}")
        _check_size("input_size", input_size)
        _check_size("hidden_size", hidden_size)
        _check_size("num_layers", num_layers)
        if proj_size != 0:
            raise NotImplementedError("proj_size (LSTM with projections) is not supported")
        dt = _float_dtype(dtype)
        self.mode = mode
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = 0
        D = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * D
            for direction in range(D):
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                names = []
                for stem, shape in shapes:
                    name = f"{stem}_l{layer}{suffix}"
                    setattr(self, name, Parameter(np.empty(shape, dtype=dt)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    reset_parameters = _reset_parameters

    def flatten_parameters(self):
        """No-op (PyTorch compacts weights for cuDNN here)."""

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- forward ---------------------------------------------------------------------------
    def _weights(self, layer, direction):
        suffix = "_reverse" if direction == 1 else ""
        get = lambda stem: getattr(self, f"{stem}_l{layer}{suffix}")  # noqa: E731
        if self.bias:
            return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")
        return get("weight_ih"), get("weight_hh"), None, None

    def _prepare(self, input, states):
        """Validate; return (x (L, N, I), [state (layers*D, N, H)], batched)."""
        w0 = self.weight_ih_l0
        name, batched = _check_input(self, input, (2, 3), w0)
        x = input if batched else views.unsqueeze(input, 0 if self.batch_first else 1)
        if self.batch_first:
            x = views.transpose(x, 0, 1)
        L, N = x.shape[0], x.shape[1]
        if L == 0:
            raise ValueError(f"{name}: expected a sequence of length >= 1, got input shape "
                             f"{tuple(input.shape)}")
        D = 2 if self.bidirectional else 1
        expected = (self.num_layers * D, N, self.hidden_size)
        out = []
        for i, h in enumerate(states):
            if h is None:
                out.append(Tensor._make(np.zeros(expected, dtype=w0.dtype)))
                continue
            what = "hx" if len(states) == 1 else f"hx[{i}]"
            _check_tensor(name, what, h)
            want_dim = 3 if batched else 2
            if h.ndim != want_dim:
                raise ValueError(f"{name}: for {'batched 3-D' if batched else 'unbatched 2-D'} "
                                 f"input, {what} should also be {want_dim}-D but got {h.ndim}-D "
                                 f"tensor (input shape {tuple(input.shape)}, {what} shape "
                                 f"{tuple(h.shape)})")
            if not batched:
                h = views.unsqueeze(h, 1)
            if tuple(h.shape) != expected:
                raise ValueError(f"{name}: Expected hidden size {expected}, got "
                                 f"{list(h.shape)} (input shape {tuple(input.shape)})")
            _check_dtype(name, h, w0)
            out.append(h)
        return x, out, batched

    def _run(self, x, states):
        """All layers and directions. Returns (output (L, N, D*H), [final states (layers*D,
        N, H)] in the order of ``states``)."""
        D = 2 if self.bidirectional else 1
        finals = [[] for _ in states]
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                res = self._layer(layer_in, [s[k] for s in states], self._weights(layer, d),
                                  d == 1)
                outs.append(res[0])
                for f, h in zip(finals, res[1:]):
                    f.append(h)
            layer_in = outs[0] if D == 1 else joins.cat(outs, 2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        finals = [views.unsqueeze(f[0], 0) if len(f) == 1 else joins.stack(f, 0) for f in finals]
        return layer_in, finals

    def _finish(self, output, finals, batched):
        if self.batch_first:
            output = views.transpose(output, 0, 1)
        if not batched:
            output = views.squeeze(output, 0 if self.batch_first else 1)
            finals = [views.squeeze(f, 1) for f in finals]
        return output, finals

    def forward(self, input, hx=None):
        """``output, h_n`` (RNN, GRU; LSTM has its own for ``(h_n, c_n)``)."""
        x, states, batched = self._prepare(input, [hx])
        output, finals = self._run(x, states)
        output, (h_n,) = self._finish(output, finals, batched)
        return output, h_n


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, act tanh or relu.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``. ``forward(input, hx=None)``:
    input ``(L, N, H_in)`` (``(N, L, H_in)`` with batch_first) or unbatched ``(L, H_in)``,
    hx ``(num_layers * D, N, H)``; returns ``output (L, N, D * H), h_n (num_layers * D, N, H)``.
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.__dict__["nonlinearity"] = args[3]
            args = args[:3] + args[4:]
        else:
            self.__dict__["nonlinearity"] = kwargs.pop("nonlinearity", "tanh")
        nl = self.__dict__["nonlinearity"]
        if nl == "tanh":
            mode = "RNN_TANH"
        elif nl == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nl}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nl

    def _layer(self, x, states, weights, reverse):
        return R.rnn_layer(x, states[0], *weights, reverse=reverse,
                           nonlinearity=self.nonlinearity)


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's equations (gates i, f, g, o):
    ``c_t = f c_{t-1} + i g``, ``h_t = o tanh(c_t)``.

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``. ``forward(input, hx=None)`` with ``hx = (h_0, c_0)``, each
    ``(num_layers * D, N, H)``; returns ``output (L, N, D * H), (h_n, c_n)``.
    ``proj_size`` is not supported.
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def _layer(self, x, states, weights, reverse):
        return R.lstm_layer(x, states[0], states[1], *weights, reverse=reverse)

    def forward(self, input, hx=None):
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
        x, states, batched = self._prepare(input, list(hx))
        output, finals = self._run(x, states)
        output, (h_n, c_n) = self._finish(output, finals, batched)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's equations (gates r, z, n):
    ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``, ``h' = (1 - z) n + z h``.

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``. ``forward(input, hx=None)``; returns ``output, h_n`` as ``RNN``.
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def _layer(self, x, states, weights, reverse):
        return R.gru_layer(x, states[0], *weights, reverse=reverse)


# ---------------------------------------------------------------------------------------------
# cells


class RNNCellBase(Module):
    """Shared parameters of the cells: ``weight_ih (G*H, I)``, ``weight_hh (G*H, H)``,
    ``bias_ih``, ``bias_hh (G*H,)``, all ~ U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        weakref.finalize(self, RA.clear_workspace)  # see RNNBase
        _check_size("input_size", input_size)
        _check_size("hidden_size", hidden_size)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        dt = _float_dtype(dtype)
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.bias = bias
        G = num_chunks * hidden_size
        self.weight_ih = Parameter(np.empty((G, input_size), dtype=dt))
        self.weight_hh = Parameter(np.empty((G, hidden_size), dtype=dt))
        if bias:
            self.bias_ih = Parameter(np.empty((G,), dtype=dt))
            self.bias_hh = Parameter(np.empty((G,), dtype=dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = _reset_parameters

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = self.__dict__.get("nonlinearity")
        if nl is not None and nl != "tanh":
            s += f", nonlinearity={nl}"
        return s

    def _prepare(self, input, states):
        """Validate; return (x (N, I), [states (N, H)], batched)."""
        name, batched = _check_input(self, input, (1, 2), self.weight_ih)
        x = input if batched else views.unsqueeze(input, 0)
        N = x.shape[0]
        out = []
        for i, h in enumerate(states):
            what = "hidden" if len(states) == 1 else f"hx[{i}]"
            if h is None:
                out.append(Tensor._make(np.zeros((N, self.hidden_size),
                                                 dtype=self.weight_ih.dtype)))
                continue
            _check_tensor(name, what, h)
            if h.ndim not in (1, 2):
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {h.ndim}D "
                                 f"instead (shape {tuple(h.shape)})")
            if not batched:
                h = views.unsqueeze(h, 0)
            if tuple(h.shape) != (N, self.hidden_size):
                raise ValueError(f"{name}: {what} has shape {tuple(h.shape)}, expected "
                                 f"{(N, self.hidden_size)} for input shape "
                                 f"{tuple(input.shape)}")
            _check_dtype(name, h, self.weight_ih)
            out.append(h)
        return x, out, batched

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


class RNNCell(RNNCellBase):
    """``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``, act tanh or relu.
    ``forward(input (N, I) or (I,), hx=None) -> h' (N, H) or (H,)``."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [hx])
        out = R.rnn_cell(x, h, *self._weights(), nonlinearity=self.nonlinearity)
        return out if batched else views.squeeze(out, 0)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``forward(input, hx=None)`` with ``hx = (h, c)``; returns ``(h', c')``,
    each ``(N, H)`` (or ``(H,)`` for an unbatched input)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError("LSTMCell: hx must be a tuple (h, c)")
        x, (h, c), batched = self._prepare(input, list(hx))
        h, c = R.lstm_cell(x, h, c, *self._weights())
        if not batched:
            h, c = views.squeeze(h, 0), views.squeeze(c, 0)
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step: ``forward(input, hx=None) -> h'`` (gates r, z, n as ``GRU``)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [hx])
        out = R.gru_cell(x, h, *self._weights())
        return out if batched else views.squeeze(out, 0)
