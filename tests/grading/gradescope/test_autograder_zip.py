"""The autograder zip's setup.sh (dgmlab.grading.gradescope.autograder_zip) without building a zip: what it installs."""
from importlib.metadata import version

from dgmlab.grading.gradescope import autograder_zip


def test_setup_installs_the_courses_torch_and_else_the_kits_lower_bounds_saying_so():
    line = autograder_zip.torch_install("https://index.example/cpu")
    torch, vision = (version(n).split("+")[0] for n in ("torch", "torchvision"))
    first, fallback = line.split(" || ", 1)
    assert first == f'"$PY" -m pip install --index-url https://index.example/cpu torch=={torch} torchvision=={vision}'
    assert "could not be installed" in fallback and "'torch>=2.2' 'torchvision>=0.17'" in fallback
