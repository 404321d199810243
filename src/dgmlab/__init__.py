"""dgmlab: the helper package of the Deep Generative Models homework suite.

Modules: ``runtime`` (mode, device, seed), ``data`` (MNIST, CIFAR-10),
``plots``, ``checks`` and ``testing`` (for notebook tests), ``metrics``
(IS/FID), ``grading`` (instructors' release/autograde/report) and ``cli``.
It holds no answer to any homework question.
"""
__version__ = "0.1.0"

from . import runtime  # noqa: E402,F401
from . import testing as _testing  # noqa: E402,F401  (records the integrity snapshot at import)


def setup(seed: int = 0, quiet: bool = False):
    """What a notebook's setup cell calls: seed everything, pick the device, print one line.

    In fast and grading mode torch uses one CPU thread: the small models there
    run faster that way on a shared 2-core machine, and results do not depend
    on the thread count. Returns the ``torch.device`` to use.
    """
    if runtime.is_fast():
        import torch

        torch.set_num_threads(1)
    runtime.seed_everything(seed)
    dev = runtime.device()
    if not quiet:
        print(runtime.describe())
    return dev
