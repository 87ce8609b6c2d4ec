"""Linear algebra: matrix products (BLAS) and triangles/diagonals.

Where each op lives (module: functional forms; each op's class, ``Add``, ``Sin``, ..., is in
the same module):

- ``products``: matmul, linear (the ``Linear`` op), outer, dot, mm, bmm, einsum, addmm, addmv,
  baddbmm, addbmm, cdist
- ``diagonals``: tril, triu, diagonal, diag_embed, diag, trace
"""
