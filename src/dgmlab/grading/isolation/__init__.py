"""Isolation: every wall the grader puts between a submission's code and the machine, and the processes it starts.

- :mod:`.bubblewrap`: what every bubblewrap sandbox is built from (the allow-list view of this machine, the seal,
  no capabilities, bwrap started with no environment).
- :mod:`.kernel_sandbox`: a grading kernel's sandbox (:class:`~.kernel_sandbox.Sandbox`, its
  :class:`~.kernel_sandbox.Limits`, the student view without the grader), and whether this machine can build it.
- :mod:`.kernels`: :class:`~.kernels.GradingKernelManager`, which starts a grading's kernels as its sandbox says, and
  :func:`~.kernels.stop_kernels`, which kills them when the grading's time is up.
- :mod:`.warm_kernels`: a kernel forked per submission from the worker's :mod:`.zygote` (its imports done), walled as
  a cold one (``Limits.warm``, ``c.DgmlabAutograde.warm_kernels``).
- :mod:`.processes`: killing a process with every process it started.
- :mod:`.user_kernel`: a kernel as an unprivileged user, where bubblewrap cannot run (a Gradescope container).
- :mod:`.printer_sandbox`: ``dgmlab pdf``'s Chromium, walled as a kernel is.
- :mod:`.absent`: what a grader-only package is inside a kernel's sandbox (an import that fails).

Every sandbox is built from :mod:`.bubblewrap`; the judge's process starts its own with it
(:func:`dgmlab.grading.judge.judge_process.command`), and of the judge only that module imports this package.
This package imports no command's package (``pyproject.toml``'s import contracts).
"""
