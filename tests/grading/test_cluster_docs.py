"""The cluster recipes in docs/cluster.md: the SLURM script builds the job script it promises, the
Kubernetes manifest says what the docs say, and the docs show both files as they are."""
import importlib.util

import dask
import pytest
import yaml

from conftest import ROOT

DOCS = ROOT / "docs" / "cluster.md"
SLURM = ROOT / "docs" / "cluster" / "slurm_grade.py"
K8S = ROOT / "docs" / "cluster" / "dask-cluster.yaml"


def test_docs_show_both_recipes_verbatim():
    text = DOCS.read_text(encoding="utf-8")
    for path in (SLURM, K8S):
        assert path.read_text(encoding="utf-8").strip() in text, f"docs/cluster.md does not show {path.name} as it is"


def test_slurm_recipe_builds_a_job_script_of_one_thread_workers():
    pytest.importorskip("dask_jobqueue")
    spec = importlib.util.spec_from_file_location("slurm_grade", SLURM)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with dask.config.set(module.SCHEDULER_CONFIG), module.make_cluster() as cluster:
        script = cluster.job_script()
        assert cluster.scheduler.allowed_failures == 2
    lines = script.splitlines()
    for directive in ("#SBATCH -p cpu", "#SBATCH -A dgm-course", "#SBATCH --cpus-per-task=4", "#SBATCH -t 02:00:00"):
        assert directive in lines, script
    prologue = lines.index("source /shared/dgm/venv/bin/activate")
    [command] = [i for i, line in enumerate(lines) if "dask_worker" in line]
    assert prologue < command, "the venv must be activated before the worker starts"
    worker = lines[command]
    assert worker.startswith("python -m distributed.cli.dask_worker tcp://")
    for flag in ("--nthreads 1", "--nworkers 4", "--nanny", "--local-directory $TMPDIR"):
        assert flag in worker, worker


def test_kubernetes_manifest_runs_one_thread_workers_and_configures_the_scheduler():
    spec = yaml.safe_load(K8S.read_text(encoding="utf-8"))
    assert spec["apiVersion"] == "kubernetes.dask.org/v1" and spec["kind"] == "DaskCluster"
    name = spec["metadata"]["name"]
    [worker] = spec["spec"]["worker"]["spec"]["containers"]
    [scheduler] = spec["spec"]["scheduler"]["spec"]["containers"]
    assert worker["image"] == scheduler["image"], "workers and scheduler must run the same dgmlab"
    args = worker["args"]
    assert args[:2] == ["dask", "worker"] and args[args.index("--nthreads") + 1] == "1"
    assert spec["spec"]["scheduler"]["service"]["selector"]["dask.org/cluster-name"] == name
    env = {e["name"]: e["value"] for e in scheduler["env"]}
    with dask.config.set(dask.config.collect_env(env)):  # the variables name real Dask settings
        assert dask.config.get("distributed.scheduler.allowed-failures") == 2
        assert dask.config.get("distributed.scheduler.worker-saturation") == 1.0
