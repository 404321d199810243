"""hw2_wgangp, P5(c) and P5(e): one mistake charged once.

A later part's function calls an earlier part's (critic_loss calls gradient_penalty, the steps call the losses): its
probe runs it with stand-ins for those, so that a mistake in the earlier part costs only there. A part that computes
the earlier piece itself, calling none of them, is run as written and compared with the statement's values.
"""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def standing_in(fn, stand_ins: dict):
    """While the block runs, each name of ``stand_ins`` that ``fn``'s globals (the notebook's, for a student's
    function) define is its stand-in there; put back afterwards. Yields the set the names of the stand-ins called
    go into."""
    space = getattr(fn, "__globals__", None)
    called, saved = set(), {}

    def recording(name, stand_in):
        def call(*args, **kwargs):
            called.add(name)
            return stand_in(*args, **kwargs)
        return call

    if isinstance(space, dict):
        for name, stand_in in stand_ins.items():
            if name in space:
                saved[name] = space[name]
                space[name] = recording(name, stand_in)
    try:
        yield called
    finally:
        for name, own in saved.items():
            space[name] = own

