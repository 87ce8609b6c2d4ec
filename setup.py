"""Which folders become which import packages; everything else is in pyproject.toml.

The repository keeps ``nn/`` and ``optim/`` at the top level; the wheel installs them as the
subpackages ``autodiff.nn`` and ``autodiff.optim``, their canonical import paths, so an installed
copy has no top-level ``nn`` or ``optim`` for a user's own ``nn.py`` to clash with (in a
checkout, autodiff/_aliases.py gives the same paths). The packages are found here rather than
listed in pyproject.toml so that a new subpackage of any of the three folders is installed too.
"""
from setuptools import find_packages, setup

MOVED = ("nn", "optim")  # repository folder X -> import package autodiff.X

packages = find_packages(include=["autodiff", "autodiff.*"])
package_dir = {}
for folder in MOVED:
    package_dir[f"autodiff.{folder}"] = folder
    packages += [f"autodiff.{name}" for name in find_packages(include=[folder, f"{folder}.*"])]

setup(packages=packages, package_dir=package_dir)
