"""hw1_wgan's checks: what more than one part's probes use."""
from __future__ import annotations

from dgmlab.probes import _torch  # lazy import

# ------------------------------------------------------------------ visible tests: recorded values on the working seed
# Converted cells: dgmlab.probes.with_working, on_working and working; their visible tests compare with ``ref``, the
# grader's references' values on the cell's draw (recorded with the kit for the working seed, dgmlab.probes.Ref).


def _outcome(fn, *args, **kwargs) -> str:
    """What calling ``fn`` did: ``"returned"``, ``"ValueError"`` or ``"raised <type>: <message>"``."""
    try:
        fn(*args, **kwargs)
    except ValueError:
        return "ValueError"
    except Exception as exc:  # any other error is not the ValueError the statement asks for
        return f"raised {type(exc).__name__}: {str(exc)[:200]}"
    return "returned"


def _close_or_hint(value, expected, hint, **kwargs):
    """``asserts.assert_close(value, expected, **kwargs)``, the hint (a full clause starting ": ", or "") after its
    message, so it reads as its own sentence and not as part of the value's name."""
    from dgmlab.probes import asserts

    try:
        asserts.assert_close(value, expected, **kwargs)
    except asserts.CheckError as exc:
        raise asserts.CheckError(f"{exc}{hint}") from None


DRAW_CHUNK = 100  # rows the generator, then the MNIST classifier, run on at once for a graded file's 1,000
# samples: the same results as all at once, with less memory (500 at once in the classifier: up to 130 MB more)


def generate_in_chunks(generator, z, chunk: int = DRAW_CHUNK):
    """``generator(z)`` computed ``chunk`` rows of ``z`` at a time and concatenated: the same images (the graded
    generator is in eval mode, so each row's image depends on that row alone; the grader's tests check the two agree
    bit for bit), with a tenth of the intermediate activations of 1,000 rows at once (about 560 MiB for hw1's
    Generator), which kept a grading above Gradescope's default memory."""
    torch = _torch()
    return torch.cat([generator(z[i:i + chunk]) for i in range(0, len(z), chunk)])
