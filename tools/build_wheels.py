"""Build this checkout's two wheels into a release folder (default ``dist/``): what `make wheels` runs.

    python tools/build_wheels.py [FOLDER]

Writes ``dgmlab-X.Y.Z-py3-none-any.whl`` (the student package: what Colab installs) and
``dgmlab_grader-X.Y.Z-py3-none-any.whl`` (the grader, for graders' machines only), X.Y.Z being
``dgmlab.__version__``, from a clean copy of the checkout (no stale ``build/`` output), as `dgmlab gradescope`
builds the wheels its zip carries. Earlier dgmlab wheels in the folder are removed first, so it holds one version.
Then: `dgmlab gradescope <hw> --wheels FOLDER`, and the student wheel published where the setup cell installs it
from (docs/publishing.md). tests/kit/test_release_wheels.py installs the folder's wheels by path in a fresh venv.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list) -> int:
    from dgmlab import __version__
    from dgmlab.grading.gradescope import wheels

    folder = Path(argv[0]) if argv else ROOT / "dist"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.whl"):
        if wheels.wheel_version(old)[0] in wheels.NAMES:
            old.unlink()
    try:
        built = wheels.build(folder, __version__)
    except wheels.layout.CourseError as exc:
        print(exc, file=sys.stderr)
        return 1
    for path in built:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
