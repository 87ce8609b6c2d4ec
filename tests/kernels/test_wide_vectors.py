"""numba kernels use 512-bit vectors on AVX-512 hosts (kernels/__init__.py, Vector width)."""
import os
import subprocess
import sys

import numba
import pytest

import autodiff.kernels as kernels


class _Features(dict):
    """Stands in for llvmlite's FeatureMap: a dict of flags with ``flatten()``."""

    def flatten(self):
        return ",".join(("+" if on else "-") + name for name, on in self.items())


@pytest.fixture
def host(monkeypatch):
    """Lets a test choose the host's features and numba's configured CPU."""
    import llvmlite.binding as llvm

    monkeypatch.delenv("AUTODIFF_WIDE_VECTORS", raising=False)
    monkeypatch.setattr(numba.config, "CPU_NAME", None)
    monkeypatch.setattr(numba.config, "CPU_FEATURES", None)
    monkeypatch.setattr(numba.config, "ENABLE_AVX", True)
    monkeypatch.setattr(kernels, "_numba_target_fixed", lambda: False)

    def set_features(**flags):
        monkeypatch.setattr(llvm, "get_host_cpu_features", lambda: _Features(flags))

    return set_features


def test_avx512_host_prefers_512_bit_vectors(host):
    host(avx2=True, avx512f=True)
    assert kernels._wide_vector_features() == "+avx2,+avx512f,-prefer-256-bit"


def test_avx2_host_keeps_numbas_choice(host):
    host(avx2=True, avx512f=False)
    assert kernels._wide_vector_features() is None
    host(avx2=True)
    assert kernels._wide_vector_features() is None


@pytest.mark.parametrize("setting", ["env", "cpu_name", "cpu_features", "no_avx", "fixed"])
def test_a_users_choice_is_left_alone(host, monkeypatch, setting):
    host(avx2=True, avx512f=True)
    if setting == "env":
        monkeypatch.setenv("AUTODIFF_WIDE_VECTORS", "0")
    elif setting == "cpu_name":
        monkeypatch.setattr(numba.config, "CPU_NAME", "skylake-avx512")
    elif setting == "cpu_features":
        monkeypatch.setattr(numba.config, "CPU_FEATURES", "+avx2")
    elif setting == "no_avx":
        monkeypatch.setattr(numba.config, "ENABLE_AVX", False)
    else:
        monkeypatch.setattr(kernels, "_numba_target_fixed", lambda: True)
    assert kernels._wide_vector_features() is None


_PROBE = """
import numba, numpy as np
import autodiff.kernels
@numba.njit(fastmath=True)
def axpy(a, b, c):
    for i in range(a.shape[0]):
        c[i] = a[i] * b[i] + c[i]
a = np.ones(64, np.float32)
axpy(a, a, a)
assert a[0] == 2.0, a[0]
print(numba.config.CPU_FEATURES)
print("zmm" in axpy.inspect_asm(axpy.signatures[0]))
"""


def _probe(**env):
    clean = {k: v for k, v in os.environ.items()
             if k not in ("NUMBA_CPU_FEATURES", "NUMBA_CPU_NAME", "AUTODIFF_WIDE_VECTORS")}
    clean.update(env, NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", ""))
    if not clean["NUMBA_CACHE_DIR"]:
        del clean["NUMBA_CACHE_DIR"]
    out = subprocess.run([sys.executable, "-c", _PROBE], env=clean, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    features, zmm = out.stdout.split()
    return features, zmm == "True"


def _host_has_avx512():
    import llvmlite.binding as llvm
    return bool(llvm.get_host_cpu_features().get("avx512f", False))


@pytest.mark.slow
def test_fresh_process_compiles_at_the_hosts_full_width():
    features, zmm = _probe()
    if _host_has_avx512():
        assert features.endswith(",-prefer-256-bit")
        assert zmm
    else:
        assert features == "None"
        assert not zmm


@pytest.mark.slow
def test_fresh_process_with_wide_vectors_off_compiles_at_256_bits():
    features, zmm = _probe(AUTODIFF_WIDE_VECTORS="0")
    assert features == "None"
    assert not zmm


def test_wide_vectors_flag_says_what_numba_compiles_at():
    wide = kernels.WIDE_VECTORS
    assert wide == (numba.config.CPU_FEATURES is not None
                    and numba.config.CPU_FEATURES.endswith(",-prefer-256-bit"))


@pytest.mark.slow
def test_numba_compiled_before_the_import_keeps_its_width():
    # numba's CPU target is fixed by its first compile: autodiff must not claim 512 bits then
    code = """
import numba
@numba.njit
def one(x):
    return x + 1
one(1)
import autodiff.kernels
print(numba.config.CPU_FEATURES, autodiff.kernels.WIDE_VECTORS)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, env={k: v for k, v in os.environ.items()
                                           if k not in ("NUMBA_CPU_FEATURES", "NUMBA_CPU_NAME")})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["None", "False"]
