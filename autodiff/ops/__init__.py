"""Differentiable ops, one module per family. Each op is an ``Op`` class with its forward and
backward side by side, plus a lowercase functional form."""
