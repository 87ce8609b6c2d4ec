"""numba kernels over NumPy ndarrays (no Tensor in sight), each with a NumPy twin.

Every kernel is an ``@numba.njit(cache=True)`` function of plain arrays; the ops in
``autodiff/ops`` call them.  Each has a slow, obviously-correct NumPy reference named
``<kernel>_ref`` that the tests compare against.

Compilation is lazy: importing this package compiles nothing; a kernel compiles (or loads
from numba's on-disk cache, see ``NUMBA_CACHE_DIR``) on its first call.

Threads
-------
Parallel kernels (``parallel=True`` with ``prange``) run on numba's thread pool.  Its size
is ``NUMBA_NUM_THREADS`` (environment variable, read once when numba starts; defaults to
the number of cores); within that, ``numba.set_num_threads(n)`` lowers it at run time and
the kernels respect it.  GEMMs never run inside numba (``np.dot`` in ``njit`` would use a
second OpenBLAS with its own threads); they run in NumPy, whose OpenBLAS threads are set by
``OPENBLAS_NUM_THREADS``.

The threading layer is set to ``"workqueue"`` here, before any parallel kernel compiles:
numba's OpenMP layer spins after each parallel region and fights OpenBLAS for the cores
(2-4x slower end to end on a 2-core machine).  Setting ``NUMBA_THREADING_LAYER`` in the
environment overrides this choice.

Python threads: the workqueue layer is not thread-safe (two threads launching parallel kernels
at once abort the process: "workqueue threading layer is terminating: Concurrent access").
Every ``parallel=True`` kernel is therefore wrapped by :func:`serialized`: one Python thread at
a time launches a parallel kernel (an uncontended lock costs well under a microsecond against
~100 us per parallel launch; each launch already uses every core, so serialising them loses no
throughput). Serial kernels and the GEMMs in NumPy still run concurrently.

Splitting a pipeline over Python threads (``_launch.run_split``): where a pipeline of numba
transforms and mid-sized GEMMs would hand the cores back and forth between numba's pool and
OpenBLAS's threads (Winograd's convolution), it instead splits its batch once into one part
per thread; each thread runs serial (``nogil``) kernels and a single-threaded BLAS (OpenBLAS's
thread-local ``openblas_set_num_threads_local``; without it, nothing is split).  The conv2d
3x3 fwd+bwd step of ``bench/conv.py`` went from 1.41x to 1.07x torch's time at 2 threads
(forward only 2.26x to 1.36x), measured alternating in one process.

Vector width
------------
On CPUs with AVX-512, LLVM (numba's compiler) still prefers 256-bit vectors by default (its
``prefer-256-bit`` tuning, meant to avoid clock drops on early AVX-512 parts), so every
kernel ran at AVX2 width there while PyTorch's oneDNN used the full 512 bits.  Where the host
has AVX-512 we therefore append ``-prefer-256-bit`` to numba's CPU features before the first
kernel compiles.  Measured on a 2-core Emerald Rapids (Xeon family 6 model 207), bench rows at
256 / 512 bits, ms: LSTM fwd+bwd 8.6 / 7.5, LSTM forward 3.3 / 2.7, depthwise 3.4 / 3.0,
grouped g8 5.3 / 4.4.  numba's on-disk cache keys each kernel by the feature string, so the
two widths never load each other's code.  ``NUMBA_CPU_NAME`` or ``NUMBA_CPU_FEATURES`` in the
environment, or ``AUTODIFF_WIDE_VECTORS=0``, leave numba's choice alone; so does importing
autodiff after numba compiled something else in the process (its CPU target is then fixed;
``WIDE_VECTORS`` then says False).

``NUMBA_DISABLE_JIT=1`` turns every kernel into plain Python (slow, but debuggable).

Memory
------
A convolution step allocates and frees tens of MB of temporaries (im2col columns).  With
glibc's default, dynamically adjusted thresholds, freed memory is handed back to the OS and
faulted in again on the next step (~2,000 page faults per conv2d fwd+bwd of the benchmark,
a few ms).  On glibc we therefore fix ``M_MMAP_THRESHOLD`` at 32 MiB (larger arrays are still
mapped and unmapped individually) and ``M_TRIM_THRESHOLD`` at 128 MiB (at most that much free
heap is kept for reuse).  ``M_ARENA_MAX`` is 1: glibc otherwise gives each thread that
allocates (``_launch.run_split``'s workers) an arena of its own, whose free top ``malloc_trim``
never returns (45 of 140 MB stayed after deleting an LSTM(128, 512) run split over 2
threads).  Set ``AUTODIFF_MALLOPT=0`` to leave malloc alone.
"""
import os
import sys
import threading

import numba

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"


def _numba_target_fixed():
    """Whether numba already compiled in this process (a kernel of another library compiled
    before autodiff was imported): its CPU target, features included, is fixed from then on."""
    from numba.core.registry import cpu_target
    return "_toplevel_target_context" in vars(cpu_target)


def _wide_vector_features():
    """numba's CPU feature string with 512-bit vectors preferred, or None to leave numba's
    own choice (no AVX-512, the user chose, or ``AUTODIFF_WIDE_VECTORS=0``)."""
    if (os.environ.get("AUTODIFF_WIDE_VECTORS", "1") == "0"
            or numba.config.CPU_NAME is not None or numba.config.CPU_FEATURES is not None
            or not numba.config.ENABLE_AVX):
        return None
    try:
        import llvmlite.binding as llvm
        features = llvm.get_host_cpu_features()
    except (RuntimeError, ImportError):
        return None
    if not features.get("avx512f", False):
        return None
    if _numba_target_fixed():
        return None
    return features.flatten() + ",-prefer-256-bit"


_features = _wide_vector_features()
if _features is not None:
    numba.config.CPU_FEATURES = _features
#: True when numba compiles this process's kernels at 512-bit width (32 registers of 16 floats;
#: else 16 or fewer registers of 8): kernels whose register blocking depends on it read this.
#: numba's cache keys each kernel by the feature string, so cached code always matches it.
WIDE_VECTORS = _features is not None


PARALLEL_LOCK = threading.Lock()


class serialized:
    """Wraps a ``parallel=True`` kernel so that concurrent Python threads launch it one at a
    time (see Threads above). Attributes (``signatures``, ``py_func``, ...) are the kernel's;
    ``dispatcher`` is the kernel itself."""

    __slots__ = ("dispatcher", "__wrapped__")

    def __init__(self, dispatcher):
        self.dispatcher = dispatcher
        self.__wrapped__ = dispatcher

    def __call__(self, *args):
        with PARALLEL_LOCK:
            return self.dispatcher(*args)

    def __getattr__(self, name):
        return getattr(self.dispatcher, name)

    def __repr__(self):
        return f"serialized({self.dispatcher!r})"


def _tune_malloc():
    if os.environ.get("AUTODIFF_MALLOPT", "1") == "0" or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
        libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)
        libc.mallopt(M_TRIM_THRESHOLD, 128 << 20)
        libc.mallopt(M_ARENA_MAX, 1)
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        pass


def release_memory():
    """Hand the free heap memory back to the OS now (glibc's ``malloc_trim``; the thresholds
    above otherwise keep up to 128 MiB of it for reuse). Returns True where supported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        return True
    except (OSError, AttributeError):
        return False


_tune_malloc()
