"""The op methods of ``Tensor``, one mixin per op family (``Tensor`` inherits them all;
``autodiff/tensor.py`` keeps the Tensor core):

- ``arithmetic``: the operators (``+ - * / ** // % == < & ~`` and ``+=``...), ``add``, ``mul``,
  ``eq``, ``logical_and``..., ``add_``, ``copy_``, ``fill_``
- ``elementwise``: exp, log, sqrt, trig, erf, rounding, sigmoid, relu, clamp, where,
  nan_to_num, softmax (and their in-place forms)
- ``reduce``: sum, mean, var, std, max, min, prod, norm, argmax, all, any, sort, topk,
  median, cumsum, cumprod, histc, unique...
- ``shape``: reshape, view, flatten, squeeze, permute, transpose, expand, repeat, split,
  chunk, flip, roll, clone, contiguous...
- ``index``: ``t[idx]``, ``t[idx] = v``, gather, scatter, index_select, index_add,
  masked_fill, nonzero (and their in-place forms)
- ``linalg``: ``@``, matmul, mm, bmm, dot, outer, addmm, tril, triu, diagonal, trace
- ``storage``: to, float, double, type, the device (CPU only), stride, ``new_*`` factories,
  random fills

A method whose signature is the op's is the op's functional form itself
(``exp = unary.exp``): no wrapper between ``t.exp()`` and the op. Each mixin lists the
functional forms first, by op module, then the in-place forms; ``_forms`` makes the in-place
form of a one-input op (``exp_ = in_place(unary.exp)``) and an operator's pair of methods
(``__add__, __radd__ = operators("add", Add.apply)``).
"""
