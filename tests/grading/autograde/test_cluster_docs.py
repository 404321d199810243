"""The cluster recipes in docs/cluster.md: the SLURM settings build the job script the page promises, the
Kubernetes manifest (never applied to a cluster here) says what the docs say, and the docs show the SLURM settings as
they are and link the manifest. tests/grading/autograde/test_slurm.py submits the same settings to a real one-node SLURM."""
import ast

import dask
import pytest
import yaml

from conftest import ROOT
from dgmlab import syntax_tree

DOCS = ROOT / "docs" / "cluster.md"
SLURM = ROOT / "docs" / "cluster" / "slurm_config.py"
K8S = ROOT / "docs" / "cluster" / "dask-cluster.yaml"


def test_docs_show_the_slurm_settings_verbatim_and_link_the_manifest():
    text = DOCS.read_text(encoding="utf-8")
    assert SLURM.read_text(encoding="utf-8").strip() in text, f"docs/cluster.md does not show {SLURM.name} as it is"
    assert f"(cluster/{K8S.name})" in text, f"docs/cluster.md does not link {K8S.name}"


def site_settings(values: dict | None = None) -> str:
    """slurm_config.py as a site would have it: each c.DgmlabSlurm value the docs set replaced by ``values``'s
    (every one the docs set must be given), the rest of the file as it is."""
    text = SLURM.read_text(encoding="utf-8")
    if values is None:
        return text
    tree = syntax_tree.parse(text)
    names = [n.targets[0].attr for n in tree.body if isinstance(n, ast.Assign)]
    assert sorted(names) == sorted(values), f"slurm_config.py sets {names}; the site gives {sorted(values)}"
    lines = text.splitlines()
    out, skip_to = [], 0
    for node in tree.body:
        out += lines[skip_to:node.lineno - 1]
        out.append(f"c.DgmlabSlurm.{node.targets[0].attr} = {values[node.targets[0].attr]!r}")
        skip_to = node.end_lineno
    return "\n".join(out + lines[skip_to:]) + "\n"


def test_slurm_settings_build_a_job_script_of_one_thread_workers(tmp_path):
    pytest.importorskip("dask_jobqueue")
    from dgmlab.grading.autograde.clients import scheduler_config
    from dgmlab.grading.autograde.slurm import certificate_folder, make_cluster, slurm_options
    from dgmlab.grading.layout import Course

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + site_settings(), encoding="utf-8")
    opts = slurm_options(Course(tmp_path))
    with make_cluster(opts, scheduler_config(), certificate_folder(tmp_path, "hw")) as cluster:
        script = cluster.job_script()
        assert cluster.scheduler.allowed_failures == 2
        assert cluster.scheduler.WORKER_SATURATION == 1.0
    lines = script.splitlines()
    for directive in ("#SBATCH -p cpu", "#SBATCH -A dgm-course", "#SBATCH --cpus-per-task=4", "#SBATCH -t 02:00:00",
                      "#SBATCH --mem=40G"):
        assert directive in lines, script
    prologue = lines.index("source /shared/dgm/venv/bin/activate")
    assert "export DGMLAB_DATA=/shared/dgm/datasets" in lines
    tmpdir = [i for i, line in enumerate(lines) if line.startswith("export TMPDIR=")]
    [command] = [i for i, line in enumerate(lines) if "dask_worker" in line]
    assert prologue < command and tmpdir and tmpdir[0] < command, "the venv and TMPDIR come before the worker"
    assert 'mktemp -d "${SLURM_TMPDIR:-/tmp}/dgmlab-$SLURM_JOB_ID.XXXXXX"' in lines[tmpdir[0]], "a node-local TMPDIR"
    worker = lines[command]
    assert worker.startswith("python -m distributed.cli.dask_worker tls://"), "the activated venv's python, TLS"
    for flag in ("--nthreads 1", "--nworkers 4", "--nanny", "--local-directory $TMPDIR"):
        assert flag in worker, worker


def test_slurm_flags_and_settings(tmp_path):
    from dgmlab.grading.autograde.slurm import slurm_options
    from dgmlab.grading.layout import Course, CourseError

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + site_settings(), encoding="utf-8")
    opts = slurm_options(Course(tmp_path), partition="gpu", account=None, jobs=2)
    assert (opts.partition, opts.account, opts.jobs, opts.cores) == ("gpu", "dgm-course", 2, 4)
    with pytest.raises(CourseError, match="at least 1"):
        slurm_options(Course(tmp_path), jobs=0)


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


def test_kubernetes_manifest_speaks_only_tls():
    spec = yaml.safe_load(K8S.read_text(encoding="utf-8"))
    [worker] = spec["spec"]["worker"]["spec"]["containers"]
    [scheduler] = spec["spec"]["scheduler"]["spec"]["containers"]
    sched = scheduler["args"]
    assert sched[:2] == ["dask", "scheduler"] and sched[sched.index("--protocol") + 1] == "tls"
    address = worker["args"][2]
    assert address.startswith("tls://"), "the worker names the scheduler's TLS address (the operator's is tcp://)"
    for args in (sched, worker["args"]):
        assert {"--tls-ca-file", "--tls-cert", "--tls-key"} <= set(args), args
    assert "--cluster tls://localhost:8786" in K8S.read_text(encoding="utf-8")
    assert "--cluster tcp://" not in DOCS.read_text(encoding="utf-8"), "a tcp:// scheduler is refused"
