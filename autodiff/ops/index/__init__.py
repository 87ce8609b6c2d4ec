"""Indexing: subscripts (``t[idx]``), reads and writes along one dim, boolean masks.

Where each op lives (module: functional forms; each op's class, ``Add``, ``Sin``, ..., is in
the same module):

- ``subscript``: getitem, setitem (and the ``IndexPut`` op it records, ``assigned``)
- ``gather_scatter``: gather, scatter_add, take_along_dim, index_select, scatter,
  scatter_reduce, index_add, index_copy, index_fill, index_put
- ``masked``: masked_fill, masked_select, masked_scatter, nonzero, argwhere
"""
