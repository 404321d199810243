"""Grade one homework on a SLURM cluster (docs/cluster.md explains each setting).

Run on the login node, from the course directory, in the same environment as the workers:
    python docs/cluster/slurm_grade.py hw3_flows --jobs 8
"""
import argparse

import dask
from dask.distributed import Client
from dask_jobqueue import SLURMCluster

from dgmlab.grading import course as C

# The scheduler runs in this process: one grading per worker thread at a time, and a grading
# that has killed its worker 3 times is reported failed instead of being retried again.
SCHEDULER_CONFIG = {
    "distributed.scheduler.allowed-failures": 2,
    "distributed.scheduler.worker-saturation": 1.0,
}


def make_cluster() -> SLURMCluster:
    return SLURMCluster(
        queue="cpu",                      # your partition
        account="dgm-course",             # your allocation
        cores=4,                          # CPUs per SLURM job ...
        processes=4,                      # ... as 4 worker processes of 1 thread: 4 gradings at once
        memory="40GB",                    # 10 GB per grading (the sandbox lets a kernel map 8 GiB)
        walltime="02:00:00",
        local_directory="$TMPDIR",        # node-local disk for the scratch copy of each grading
        job_script_prologue=[
            "source /shared/dgm/venv/bin/activate",       # the same dgmlab version as this process
            "export DGMLAB_DATA=/shared/dgm/datasets",    # data the notebooks load while graded
            "export OMP_NUM_THREADS=1",                   # one core per grading
        ],
        python="python",                  # the venv activated above
        scheduler_options={"dashboard_address": ":8787"},
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("hw")
    p.add_argument("--jobs", type=int, default=8, help="SLURM jobs (each 4 workers)")
    args = p.parse_args()
    with dask.config.set(SCHEDULER_CONFIG), make_cluster() as cluster, Client(cluster) as client:
        cluster.scale(jobs=args.jobs)
        client.wait_for_workers(1)  # SLURM may queue the jobs for a while
        results = C.autograde(C.Course("."), args.hw, cluster=client,
                              progress=lambda r: print(f"{r.student}: {r.status} {r.reason}", flush=True))
    return 0 if all(r.status == "graded" for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
