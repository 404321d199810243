"""What one submission of each kit homework took through the Gradescope zip, as ``benchmarks/bench_gradescope.py``
last recorded it (:data:`RECORD`), and what ``dgmlab gradescope <hw>`` says where that is more memory than
Gradescope's default container holds: which setting to change and to what.

The peak is the grader's, the kernel's and the judge's memory together (shared pages once: ``extra_data``'s
``peak_memory_mib``), the most over the bench's runs of the reference submission, on one core. Other submissions
peak up to about :data:`SPREAD` more (instructor trials: 540-623 MiB for hw3, 788-943 MiB for hw5), so a homework
needs more than the default where its peak times :data:`SPREAD` passes :data:`DEFAULT_MIB`.
``python benchmarks/bench_gradescope.py --hw ... --cpu 0 --update-measured`` rewrites :data:`MEASURED`.
"""
from __future__ import annotations

import math

DEFAULT_MIB = 768  # Gradescope's default autograder container: 768 MB
SPREAD = 1.2  # how much more than the bench's reference another submission may peak
SECONDS_GOAL = 10.0  # what a submission should take on one core (issue 72)

# -- written by benchmarks/bench_gradescope.py --update-measured
RECORD = "benchmarks/results/gradescope/20261129T150829Z.json"
MEASURED = {  # hw: (peak MiB, seconds a submission), the most over the record's runs
    "hw1_wgan": (696.1, 11.4),
    "hw2_wgangp": (604.5, 10.0),
    "hw3_flows": (468.6, 6.1),
    "hw4_gans": (703.2, 12.7),
    "hw5_explicit": (728.4, 9.8),
}
# -- end


def memory_needed(peak_mib: float) -> float:
    """GB to give a container for a homework that peaked at ``peak_mib``: its peak times :data:`SPREAD`, rounded up
    to half a GB."""
    return math.ceil(peak_mib * SPREAD * 2 ** 20 / 1e9 * 2) / 2


def advice(hw: str) -> str:
    """What the zip's build says of ``hw``'s memory and time ("" where its peak fits the default container with room,
    or it was never measured)."""
    if hw not in MEASURED:
        return ""
    peak, seconds = MEASURED[hw]
    if peak * SPREAD <= DEFAULT_MIB:
        return ""
    slow = (f"; a submission took {seconds:g} s on one core (the aim is {SECONDS_GOAL:g} s), well within the zip's "
            f"timeout" if seconds > SECONDS_GOAL else "")
    return (f"{hw} needs more memory than Gradescope's default container ({DEFAULT_MIB} MB): one submission peaked at "
            f"{peak:,.0f} MiB (grader, kernel and judge together; {RECORD}), and others up to "
            f"{SPREAD - 1:.0%} more{slow}. In Gradescope, Configure "
            f"Autograder > Autograder Settings, set the memory to at least {memory_needed(peak):g} GB, or its "
            f"submissions may be killed for memory (results say 'Killed').")
