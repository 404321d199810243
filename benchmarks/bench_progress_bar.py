"""What redrawing a tqdm progress bar on every training step costs inside a Jupyter kernel.

The training loops update a ``tqdm.auto`` bar once per step and show the latest losses with
``set_postfix``, which redraws the bar by default; in a kernel with ipywidgets (Colab, Jupyter) each
redraw is a widget message. This runs one kernel (nbclient), where ``tqdm.auto`` picks the widget bar
as it does for students, and times ``update(1)`` + ``set_postfix`` per step with the redraw
(``refresh=True``, the default) and without (``refresh=False``: the postfix shows at the bar's next
rate-limited redraw, a few times a second).

    .venv/bin/python benchmarks/bench_progress_bar.py --steps 3000 --json benchmarks/results/progress_bar_refresh.json
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

KERNEL_CODE = r'''
import json, time
from tqdm.auto import tqdm
from tqdm.notebook import tqdm_notebook
result = {"widget_bar": issubclass(tqdm, tqdm_notebook)}  # what students get in Colab and Jupyter
for refresh in (True, False):
    bar = tqdm(total=STEPS)
    t0 = time.perf_counter()
    for i in range(STEPS):
        bar.update(1)
        bar.set_postfix(critic=f"{i * 0.1:.3f}", gen=f"{i * 0.2:.3f}", refresh=refresh)
    bar.close()
    result[f"us_per_step_refresh_{refresh}"] = (time.perf_counter() - t0) / STEPS * 1e6
print("RESULT " + json.dumps(result))
'''


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=3000, help="training steps simulated per setting")
    p.add_argument("--json", type=Path, help="write the result here")
    args = p.parse_args(argv)
    import nbclient
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"STEPS = {args.steps}\n" + KERNEL_CODE)])
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    lines = [line for out in nb.cells[0].outputs if out.get("name") == "stdout"
             for line in out["text"].splitlines() if line.startswith("RESULT ")]
    result = {**json.loads(lines[-1][len("RESULT "):]), "steps": args.steps, "machine": platform.machine(),
              "command": "benchmarks/bench_progress_bar.py " + " ".join(sys.argv[1:] if argv is None else argv)}
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
