"""Measure how far the recorded values move with threads, instruction sets and kernels: the float noise of
``dgmlab.grading.references.recorded.record_expected(hw)`` against the stored ``homeworks/<hw>/checks/expected.json``.

    DGMLAB_DATA=../shared/datasets nice .venv/bin/python benchmarks/recorded_float_spread.py

Each setting runs in a fresh process (threads, ``ATEN_CPU_CAPABILITY``, oneDNN's ISA and MKL's code path are read
once, when torch loads): torch's thread count (1, 2, 4), ``torch.backends.mkldnn.enabled = False`` (convolutions
through im2col and MKL's GEMM instead of oneDNN), ``ATEN_CPU_CAPABILITY=default`` / ``avx2`` (ATen's vectorised
reductions and elementwise kernels as on a CPU without AVX-512 or AVX), ``ONEDNN_MAX_CPU_ISA=AVX2`` (oneDNN's
convolution kernels of an AVX2 CPU) and ``MKL_CBWR=COMPATIBLE`` (MKL's reproducible, SSE2-level BLAS: another BLAS
build), and all of these at once. Writes ``benchmarks/results/recorded_float_spread.md`` (the tables) and
``recorded_float_spread.json`` (each recorded number's largest absolute and relative difference over the settings,
which ``tests/grading/test_recorded_expected.py`` holds its tolerances against). ``--no-write`` prints the tables;
``--hw`` limits the homeworks measured (a new one: ``--hw <hw>``); the others' recorded spreads are kept.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import homeworks

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "benchmarks" / "results" / "recorded_float_spread.md"
DATA = ROOT / "benchmarks" / "results" / "recorded_float_spread.json"
COMMAND = "DGMLAB_DATA=../shared/datasets nice .venv/bin/python benchmarks/recorded_float_spread.py"
HOMEWORKS = homeworks.names()  # the kit's homework folders

# name: (torch threads, torch.backends.mkldnn.enabled, environment)
SETTINGS = {
    "1 thread": (1, True, {}),
    "2 threads": (2, True, {}),
    "4 threads": (4, True, {}),
    "2 threads, mkldnn off": (2, False, {}),
    "2 threads, ATEN_CPU_CAPABILITY=default": (2, True, {"ATEN_CPU_CAPABILITY": "default"}),
    "2 threads, ATEN_CPU_CAPABILITY=avx2": (2, True, {"ATEN_CPU_CAPABILITY": "avx2"}),
    "2 threads, ONEDNN_MAX_CPU_ISA=AVX2": (2, True, {"ONEDNN_MAX_CPU_ISA": "AVX2"}),
    "2 threads, MKL_CBWR=COMPATIBLE": (2, True, {"MKL_CBWR": "COMPATIBLE"}),
    "1 thread, all of these": (1, False, {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41",
                                          "MKL_CBWR": "COMPATIBLE"}),
}


def leaves(a, b, path=""):
    """``(path, stored, now)`` for each number-like leaf of two recorded values of one shape (dicts by key, lists
    and tuples by position); a leaf whose shape differs is yielded whole, so it counts as a difference."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        for k in a:
            yield from leaves(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from leaves(x, y, f"{path}/{i}")
    else:
        yield path, a, b


def difference(stored, now) -> dict | None:
    """``{kind, abs, rel}`` for a tensor or float leaf: the largest absolute difference and the largest relative one
    (over entries whose stored value is not 0; an entry stored as 0 that moved makes it inf); ``None`` for any other
    leaf (ints, strings, sympy: compared exactly), or ``{kind: "mismatch"}`` where the two differ in type or shape."""
    import torch

    if isinstance(stored, torch.Tensor):
        if not (isinstance(now, torch.Tensor) and now.shape == stored.shape and now.dtype == stored.dtype):
            return {"kind": "mismatch"}
        if not stored.is_floating_point():
            return None if torch.equal(stored, now) else {"kind": "mismatch"}
        a, b = stored.double(), now.double()
        err = (a - b).abs()
        rel = torch.where(a != 0, err / a.abs().clamp_min(1e-300), torch.where(err > 0, torch.inf, 0.0))
        return {"kind": f"tensor {str(stored.dtype).removeprefix('torch.')}",
                "abs": float(err.max()) if err.numel() else 0.0, "rel": float(rel.max()) if rel.numel() else 0.0}
    if isinstance(stored, float) and not isinstance(stored, bool):
        if not isinstance(now, float):
            return {"kind": "mismatch"}
        err = abs(stored - now)
        return {"kind": "float", "abs": err, "rel": err / abs(stored) if stored else (0.0 if err == 0 else float("inf"))}
    return None if stored == now else {"kind": "mismatch"}


def child(hws: list[str], threads: int, mkldnn: bool) -> dict:
    """In this process, with the setting applied: each homework's ``{leaf path: difference}`` and what torch ran on."""
    import torch

    torch.set_num_threads(threads)
    torch.backends.mkldnn.enabled = mkldnn
    from dgmlab.grading.references import recorded
    from dgmlab.probes import wire

    out = {"torch": torch.__version__, "capability": torch.backends.cpu.get_cpu_capability(),
           "threads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.enabled, "homeworks": {}}
    for hw in hws:
        start = time.perf_counter()
        stored = wire.loads(recorded.expected_path(hw).read_text(encoding="utf-8"))
        now = recorded.record_expected(hw)
        found = {}
        for cell in sorted(set(stored) | set(now)):
            if cell not in stored or cell not in now:
                found[cell] = {"kind": "mismatch"}
                continue
            for path, a, b in leaves(stored[cell], now[cell], cell):
                d = difference(a, b)
                if d is not None:
                    found[path] = d
        out["homeworks"][hw] = {"leaves": found, "seconds": round(time.perf_counter() - start, 1)}
    return out


def run_setting(name: str, hws: list[str]) -> dict:
    threads, mkldnn, env = SETTINGS[name]
    environ = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), **env}
    cmd = [sys.executable, __file__, "--child", "--threads", str(threads), "--hw", *hws]
    if not mkldnn:
        cmd.append("--no-mkldnn")
    done = subprocess.run(cmd, env=environ, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name}: the child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fmt(x: float) -> str:
    return "0" if x == 0 else f"{x:.1e}"


def tables(runs: dict, hws: list[str]) -> tuple[str, dict]:
    """The markdown tables and the per-leaf spread (largest over the settings) for the JSON file."""
    per_leaf: dict = {}
    lines = []
    mismatches = []
    for name, run in runs.items():
        for hw in hws:
            for path, d in run["homeworks"].get(hw, {"leaves": {}})["leaves"].items():
                if d["kind"] == "mismatch":
                    mismatches.append(f"{name}: {hw} {path}")
                    continue
                slot = per_leaf.setdefault(hw, {}).setdefault(path, {"kind": d["kind"], "abs": 0.0, "rel": 0.0,
                                                                    "worst_setting": None, "by_setting": {}})
                if d["abs"] > slot["abs"]:
                    slot["worst_setting"] = name
                slot["abs"], slot["rel"] = max(slot["abs"], d["abs"]), max(slot["rel"], d["rel"])
                if d["abs"] > 0:
                    slot["by_setting"][name] = [float(f"{d['abs']:.3g}"), float(f"{d['rel']:.3g}")]
    lines += ["## Largest spread over every setting, by homework and kind", "",
              "| homework | kind | recorded numbers | moved | max abs | max rel | worst leaf (abs) |",
              "|---|---|---:|---:|---:|---:|---|"]
    for hw in hws:
        kinds = sorted({d["kind"] for d in per_leaf.get(hw, {}).values()})
        for kind in kinds:
            ds = {p: d for p, d in per_leaf[hw].items() if d["kind"] == kind}
            worst = max(ds, key=lambda p: ds[p]["abs"])
            moved = sum(1 for d in ds.values() if d["abs"] > 0)
            lines.append(f"| {hw} | {kind} | {len(ds)} | {moved} | {_fmt(max(d['abs'] for d in ds.values()))} | "
                         f"{_fmt(max(d['rel'] for d in ds.values()))} | "
                         f"{worst if ds[worst]['abs'] > 0 else '-'} |")
    lines += ["", "## By setting: max abs / max rel against the recording (tensors; floats)", "",
              "| setting | ran on | " + " | ".join(hws) + " |", "|---|---|" + "---|" * len(hws)]
    for name, run in runs.items():
        cells = []
        for hw in hws:
            ds = [d for d in run["homeworks"].get(hw, {"leaves": {}})["leaves"].values() if d["kind"] != "mismatch"]
            t = [d for d in ds if d["kind"].startswith("tensor")]
            f = [d for d in ds if d["kind"] == "float"]
            cells.append(f"{_fmt(max((d['abs'] for d in t), default=0))} / {_fmt(max((d['rel'] for d in t), default=0))}"
                         f"; {_fmt(max((d['abs'] for d in f), default=0))} / "
                         f"{_fmt(max((d['rel'] for d in f), default=0))}")
        lines.append(f"| {name} | {run['capability']}, {run['threads']} thr, mkldnn {run['mkldnn']} | "
                     + " | ".join(cells) + " |")
    lines += ["", "## Values that moved, by cell and name (largest over the settings and the numbers under it)", "",
              "| homework | cell / name | kind | numbers moved | max abs | max rel | setting of the max abs |",
              "|---|---|---|---:|---:|---:|---|"]
    for hw in hws:
        groups: dict = {}
        for path, d in sorted(per_leaf.get(hw, {}).items()):
            if d["abs"] > 0:
                groups.setdefault(("/".join(path.split("/")[:2]), d["kind"]), []).append(d)
        for (name, kind), ds in groups.items():
            worst = max(ds, key=lambda d: d["abs"])
            lines.append(f"| {hw} | {name} | {kind} | {len(ds)} | {_fmt(worst['abs'])} | "
                         f"{_fmt(max(d['rel'] for d in ds))} | {worst['worst_setting']} |")
    if mismatches:
        lines += ["", "## Values that differ in type, shape or exactly (not float noise)", ""]
        lines += [f"- {m}" for m in mismatches]
    return "\n".join(lines), per_leaf


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hw", nargs="+", default=list(HOMEWORKS))
    parser.add_argument("--setting", nargs="+", choices=list(SETTINGS), default=list(SETTINGS))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--no-mkldnn", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.hw, args.threads, not args.no_mkldnn)))
        return
    start = time.perf_counter()
    runs = {}
    for name in args.setting:
        runs[name] = run_setting(name, args.hw)
        print(f"{name}: {sum(r['seconds'] for r in runs[name]['homeworks'].values()):.0f} s", file=sys.stderr)
    first = next(iter(runs.values()))
    kept = [] if args.no_write else keep_recorded(runs, args.hw)
    hws = sorted({*args.hw, *kept})
    text, per_leaf = tables(runs, hws)
    head = [
        "# Float noise of the recorded values (expected.json) across threads, instruction sets and kernels", "",
        f"`{COMMAND}` ({time.perf_counter() - start:.0f} s), on {platform.processor() or platform.machine()} "
        f"({_cpu_name()}, {os.cpu_count()} cores), torch {first['torch']}, ATen capability here "
        f"{first['capability']}. Each setting is a fresh process running "
        "`dgmlab.grading.references.recorded.record_expected(hw)` and compared, number by number, with the stored "
        "`homeworks/<hw>/checks/expected.json`; abs = |now - stored|, rel = abs / |stored| (entries stored as 0 "
        "count in abs only). Float64 values and exact kinds (ints, strings, sympy) are in the tables only if they "
        "moved. `recorded_float_spread.json` holds each number's spread; "
        "`tests/grading/test_recorded_expected.py` keeps its tolerances (the visible checks' own) above it."
        + (f" This run measured {', '.join(args.hw)}; {', '.join(kept)} are as an earlier run recorded them." if kept
           else ""), "",
    ]
    doc = "\n".join(head) + "\n" + text + "\n"
    if args.no_write:
        print(doc)
        return
    DOC.write_text(doc, encoding="utf-8")
    settings = {name: {"capability": run["capability"], "threads": run["threads"], "mkldnn": run["mkldnn"],
                       "environment": run.get("environment", SETTINGS.get(name, (0, 0, {}))[2])}
                for name, run in runs.items()}
    write_data({"command": COMMAND, "settings": settings, "cpu": _cpu_name(), "torch": first["torch"],
                "spread": per_leaf})
    print(f"wrote {DOC.relative_to(ROOT)} and {DATA.relative_to(ROOT)}", file=sys.stderr)


def keep_recorded(runs: dict, measured: list[str], path: Path = DATA) -> list[str]:
    """Add to ``runs`` what ``path`` recorded of the kit's homeworks this run did not measure (``--hw``), setting by
    setting, so that writing them keeps those homeworks' spreads instead of dropping them; the homeworks kept."""
    if not path.exists():
        return []
    old = json.loads(path.read_text(encoding="utf-8"))
    kept = [hw for hw in old.get("spread", {}) if hw in HOMEWORKS and hw not in measured]
    gone = sorted(set(old.get("spread", {})) - set(HOMEWORKS))
    if gone:
        print(f"dropped {', '.join(gone)}: no such homework folder any more", file=sys.stderr)
    for name, setting in old.get("settings", {}).items():
        run = runs.setdefault(name, {**setting, "homeworks": {}})
        for hw in kept:
            run["homeworks"][hw] = {"leaves": {
                leaf: {"kind": d["kind"], **dict(zip(("abs", "rel"), d["by_setting"].get(name, [0.0, 0.0])))}
                for leaf, d in old["spread"][hw].items()}}
    if kept:
        print(f"kept the recorded spread of {', '.join(kept)} (not measured now)", file=sys.stderr)
    return kept


def write_data(data: dict, path: Path = DATA) -> None:
    """The JSON file, one line per recorded number (abs and rel to 3 significant digits)."""
    def leaf(d):
        return json.dumps({**d, "abs": float(f"{d['abs']:.3g}"), "rel": float(f"{d['rel']:.3g}")}, sort_keys=True)

    head = {k: v for k, v in data.items() if k != "spread"}
    lines = [json.dumps(head, indent=1, sort_keys=True)[:-2] + ",", ' "spread": {']
    for i, (hw, leaves) in enumerate(sorted(data["spread"].items())):
        lines.append(f'  "{hw}": {{')
        lines += [f"   {json.dumps(path)}: {leaf(d)}," for path, d in sorted(leaves.items())]
        lines[-1] = lines[-1].rstrip(",")
        lines.append("  }" + ("," if i < len(data["spread"]) - 1 else ""))
    path.write_text("\n".join(lines) + "\n }\n}\n", encoding="utf-8")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                flags = Path("/proc/cpuinfo").read_text()
                return line.split(":", 1)[1].strip() + (", AVX-512" if "avx512f" in flags else "")
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
