"""TimedExecute (autograde, in grading workers): nbgrader's Execute, timed, its output capped as it arrives."""
from __future__ import annotations

import json
import os
import time

from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from traitlets import Enum, Integer, Unicode

from .. import nbgrader_preprocessing
from ..cell_roles import is_graded, is_locked, is_solution
from ..isolation.processes import running
from .output_bytes import ERROR_FLOOR, LimitOutputBytes, json_size

TIMINGS_ENV = "DGMLAB_TIMINGS_FILE"
OUTPUTS = ("stream", "display_data", "execute_result", "update_display_data")  # capped (errors are always kept)


class TimedExecute(nbgrader_preprocessing.Execute):
    """nbgrader's ``Execute``, also noting when the kernel was ready and when each code cell ran.

    The times (wall clock, seconds since the epoch) go, one JSON line per notebook, to
    :attr:`timings_file` (default ``$DGMLAB_TIMINGS_FILE``); without one this only executes. Its
    kernels are started by :class:`dgmlab.grading.isolation.kernels.GradingKernelManager` (the sandbox's
    command, killed with their process tree when the grading's time is up). Only the scratch course
    a grading worker builds uses it (see :mod:`dgmlab.grading.autograde`).
    """

    timings_file = Unicode("", help="Append each notebook's timings here as a JSON line").tag(config=True)
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate",
                           help="'immediate' (default here): once the last cell has run, kill the kernel with its "
                                "process tree; a graceful exit (torch's teardown, atexit hooks) cost about 2 s "
                                "a grading and can change no grade").tag(config=True)

    max_cell_output = Integer(16 * 2**20, help="Bytes of output one cell may send while it runs; what comes after "
                                               "is dropped as it arrives, so a flood never piles up in the grader "
                                               "(errors are always kept; LimitOutputBytes then trims what is kept "
                                               "to its own caps). Above the largest probe (dgmlab.probes.wire.MAX_BYTES)."
                              ).tag(config=True)
    max_notebook_output = Integer(64 * 2**20, help="The same for the whole notebook").tag(config=True)
    max_error_bytes = Integer(16 * 2**10, help="Bytes of an error kept on arrival (LimitOutputBytes keeps no more "
                                               "of one); past the notebook's cap, ERROR_FLOOR").tag(config=True)
    max_messages = Integer(100_000, help="Output messages a notebook's kernel may send (each costs the grader CPU "
                                         "to read, small or not: an attacker's 208,000 in 60 s kept the worker at "
                                         "0.8 of a core); past it the kernel is stopped and the grading fails "
                                         "saying so (prints unflushed go out every 0.2 s at most)"
                           ).tag(config=True)

    def __init__(self, *args, **kwargs):
        from ..isolation.kernels import GradingKernelManager

        # nbgrader's Execute hands its own default (AsyncKernelManager) to the constructor, and an argument there
        # beats any config: so the class c.TimedExecute.kernel_manager_class names in nbgrader_config.py is set
        # here, GradingKernelManager without one. It must be GradingKernelManager or built on it: that is what
        # starts the kernel in the sandbox and stops it at the grading's time limit.
        configured = None if "kernel_manager_class" in kwargs else self._configured_kernel_manager(kwargs)
        kwargs.setdefault("kernel_manager_class", configured or GradingKernelManager)
        super().__init__(*args, **kwargs)
        if configured is not None and not issubclass(self.kernel_manager_class, GradingKernelManager):
            raise ValueError(f"c.TimedExecute.kernel_manager_class is {self.kernel_manager_class.__name__}: the "
                             f"grader's kernels need dgmlab.grading.isolation.kernels.GradingKernelManager (or a subclass), "
                             f"which sandboxes them and stops them at the grading's time limit")

    @staticmethod
    def _configured_kernel_manager(kwargs):
        """The ``kernel_manager_class`` the config given to the constructor (directly or through ``parent``) sets
        for this class, or ``None``."""
        config = kwargs.get("config")
        if config is None and kwargs.get("parent") is not None:
            config = kwargs["parent"].config
        section = config.get("TimedExecute") if config is not None else None
        return section.get("kernel_manager_class") if section else None

    def process_message(self, msg, cell, cell_index):
        """nbclient's, but a widget's messages (``comm_*``) are not kept (a grading runs no frontend and stores no
        widget state: an attacker's 40 comms of 25 MiB put 4.3 GB in the worker and 1 GB in each notebook written),
        and every output, an update of a display's included, counts against the caps (:meth:`_past_caps`)."""
        msg_type = msg.get("msg_type", "")
        self._dgmlab_messages += 1
        if self._dgmlab_messages > self.max_messages:
            from ..isolation import kernels

            grading = getattr(self.km, "grading_id", "")
            if grading:  # a grading's kernel: stopped, and its result says why (else nbclient's cleanup stops it)
                kernels.stop_saying(grading, f"the kernel sent more than {self.max_messages:,} output messages, "
                                             "which the grader stops at (display or print less often)")
            raise DeadKernelError(f"over {self.max_messages} output messages in cell {cell_index}")
        if msg_type.startswith("comm"):
            return None
        content = msg.get("content") or {}
        if msg_type == "error" and isinstance(content, dict):  # kept (it gives a test cell 0), shortened on arrival
            past = self._dgmlab_output.get("all", 0) > self.max_notebook_output
            LimitOutputBytes._shorten_error(content, ERROR_FLOOR if past else self.max_error_bytes)
            self._past_caps(json_size(content), cell_index)
        elif msg_type in OUTPUTS:
            size = json_size(content)  # every field, whatever its type (a list as a stream's text counted as 1)
            if self._past_caps(size, cell_index):
                self._dgmlab_dropped[cell_index] = self._dgmlab_dropped.get(cell_index, 0) + size
                return None  # dropped on arrival (the cell says so once it has run)
        return super().process_message(msg, cell, cell_index)

    def _past_caps(self, size: int, cell_index: int) -> bool:
        """Count an output message's ``size`` (:func:`.output_bytes.json_size` of its content: all of it, an
        attacker's 30 MB of metadata once counted as 0 and put 10.7 GB in the worker) against
        :attr:`max_cell_output` and :attr:`max_notebook_output`; whether it is past them (then it is dropped, but an
        error). An update of a display counts as a new output (40 updates of 25 MiB, counted as 0, put 1.2 GB in the
        worker); an error counts, kept, shortened on arrival to what LimitOutputBytes keeps of one (40 errors of
        25 MiB put 1.2 GB there)."""
        sizes = self._dgmlab_output
        sizes[cell_index] = sizes.get(cell_index, 0) + size
        sizes["all"] = sizes.get("all", 0) + size
        return sizes[cell_index] > self.max_cell_output or sizes["all"] > self.max_notebook_output

    def preprocess(self, nb, resources=None, km=None):
        self._dgmlab_output, self._dgmlab_dropped, self._dgmlab_messages = {}, {}, 0
        self._dgmlab_timing = {"execute_start": time.time(), "kernel_ready": None, "cells": []}
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self._dgmlab_timing["execute_end"] = time.time()
            path = self.timings_file or os.environ.get(TIMINGS_ENV)
            if path:
                with open(path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(self._dgmlab_timing) + "\n")

    def on_notebook_start(self, **kwargs):
        self._dgmlab_timing["kernel_ready"] = time.time()

    def on_cell_execute(self, **kwargs):
        self._dgmlab_cell_start = time.time()

    def preprocess_cell(self, cell, resources, index):
        """nbconvert's, and a cell that ends the notebook's run (stuck past its limit, its kernel dead) noted with
        the seconds it ran and ``"stopped": true``: its seconds go to its own phase, not to the kernel's stop."""
        done, entered = len(self._dgmlab_timing["cells"]), time.time()
        try:
            return super().preprocess_cell(cell, resources, index)
        except BaseException:
            if len(self._dgmlab_timing["cells"]) == done and getattr(self, "_dgmlab_cell_start", 0.0) >= entered:
                self._note(cell, index, stopped=True)
                self._refused_a_message()  # waiting for its output timed out
            raise

    def _note(self, cell, cell_index: int, stopped: bool = False) -> None:
        meta = cell.metadata.get("nbgrader", {})
        # nbgrader's is_locked is true of grade cells too: the "test" case has taken those already
        kind = ("answer" if is_solution(cell) else "test" if is_graded(cell) else
                "locked" if is_locked(cell) else "other")
        self._dgmlab_timing["cells"].append({"index": cell_index, "grade_id": meta.get("grade_id"), "kind": kind,
                                             "start": self._dgmlab_cell_start, "end": time.time(),
                                             **({"stopped": True} if stopped else {})})

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        cell = kwargs["cell"]
        dropped = self._dgmlab_dropped.pop(kwargs["cell_index"], 0)
        if dropped:  # a student reads why the output stops, as LimitOutput's own cut says it (TA trial: 20 MB vanished)
            cell.outputs.append(new_output("stream", name="stdout", text=(
                f"\n... {dropped:,} characters of output dropped: past the grader's {self.max_cell_output:,} a cell "
                f"or {self.max_notebook_output:,} a notebook ...\n")))
        self._note(cell, kwargs["cell_index"])
        if self._refused_a_message():
            raise DeadKernelError(f"kernel disconnected after cell {kwargs['cell_index']}")

    def _refused_a_message(self) -> bool:
        """Whether the kernel was disconnected (a message over the grader's cap, :mod:`..isolation.kernels`): then
        nothing it sends arrives, so its grading is stopped saying why, not left to wait for output that cannot come
        ("timed out")."""
        from ..isolation import kernels

        process = getattr(self.km, "_process", None)  # GradingKernelManager's: the kernel's first process
        alive = process is not None and running(process)
        if not (alive and getattr(self.kc, "disconnected", lambda: False)()):  # a dead kernel disconnects too
            return False
        kernels.stop_saying(getattr(self.km, "grading_id", ""),
                            f"the kernel sent a message over {kernels.MAX_MESSAGE_BYTES // 2 ** 20} MiB, which the "
                            "grader refuses (nothing it sent after could arrive)")
        return True


def timed_autograde_preprocessors(current=None) -> list:
    """``Autograde.autograde_preprocessors`` (``current``, or nbgrader's default) with ``Execute`` timed."""
    if current is None:
        current = nbgrader_preprocessing.default_preprocessors("autograde", "autograde_preprocessors")
    out = []
    for pre in current:
        name = pre if isinstance(pre, str) else f"{pre.__module__}.{pre.__name__}"
        out.append(TimedExecute if name in ("nbgrader.preprocessors.Execute", "nbgrader.preprocessors.execute.Execute")
                   else pre)
    return out
