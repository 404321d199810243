"""``dgmlab autograde``: autograding as Dask distributed tasks, one code path for a laptop and a cluster.

It starts a :class:`distributed.LocalCluster` (one process per worker, one thread each); ``--cluster ADDRESS`` uses a
running Dask scheduler instead (SLURM, Kubernetes: docs/cluster.md). Either way:

- **Workers only grade.** A task gets the homework's *bundle* (the course's ``nbgrader_config.py``, a gradebook
  holding only this homework's cells, the non-notebook files of ``source/<hw>/``) and one submission's files, builds
  a throw-away course in the worker's scratch folder, runs nbgrader's autograde converter there in the worker's own
  process, the submission's kernel in the sandbox, and generate_feedback in a child process killed at its time
  limit, and returns the scores nbgrader computed, the autograded and feedback files, the status, reason and
  timings. Workers need no shared filesystem and never see the class's gradebook.
- **One writer.** Only the coordinating process writes the course: ``gradebook.db`` (nbgrader's SQLite must have one
  writer), ``autograded/``, ``feedback/`` and the records ``.dgmlab/grading/<hw>/<student>.json``, one submission at
  a time as results arrive, the record last.
- **Nothing lost, nothing twice.** Each grading is keyed by a hash of the submission's files, the homework's source
  folder, the course config and dgmlab's version (:func:`.keys.grading_key`), stored in the record. A run that was
  interrupted grades again only submissions without a record of the same key. A worker that dies mid-grade has its
  submission re-run on another worker by Dask's scheduler; one whose grading kills its worker
  ``allowed_failures + 1`` times is reported ``failed`` (Dask's ``KilledWorker``), not retried forever.
- **Timings.** Each grading records its phases (:data:`.timings.PHASES`); :func:`.timings.phase_summary` gives
  median and p95 per phase.

The parts, one job each: :mod:`.keys` (the homework read once, and grading keys), :mod:`.homework_bundle` (what a
worker gets), :mod:`.task_records` (the bundle, a job and an outcome as records, dicts only between processes),
:mod:`.worker` (one submission graded in a scratch course), :mod:`.nbgrader_run` (nbgrader's converters under a
watchdog), :mod:`.nbgrader_adapter` (every use of nbgrader's own code: the gradebook, the late penalty, the
converters), :mod:`.coordinator` (tasks out, results written), :mod:`.clients` (the Dask client: local, an address,
or SLURM jobs from :mod:`.slurm`) and :mod:`.timings`.
"""
