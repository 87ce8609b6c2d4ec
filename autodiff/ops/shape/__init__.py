"""Shape ops: views and reshapes, joining and splitting, rearranging copies.

Where each op lives (module: functional forms; each op's class, ``Add``, ``Sin``, ..., is in
the same module):

- ``views``: reshape, view, flatten, unflatten, squeeze, unsqueeze, atleast_1d, atleast_2d,
  atleast_3d, permute, transpose, swapaxes, swapdims, t, movedim, moveaxis, expand,
  expand_as, narrow, numel, is_tensor, is_floating_point
- ``joins``: cat, concatenate, concat, stack, split, chunk, unbind, meshgrid
- ``rearrange``: clone, contiguous, repeat, tile, repeat_interleave, flip, roll, pad
"""
