"""``dgmlab autograde``: grading every submission as Dask tasks (the coordinator, the workers, nbgrader's
converters in a worker, the grading keys, seeds and records' inputs, the Dask clients: local, a scheduler, SLURM)."""
