"""Record the values visible tests compare with (homeworks/<hw>/checks/expected.json) from the grader's references.

    python tools/record_expected.py hw4_gans      # one homework; no argument: every homework with references

Run it after changing a converted cell's inputs or a reference (tests/grading/test_references.py fails until then).
For the kit's homeworks (the folders homeworks/<hw>/ with a checks/ package: homeworks.names(), so a new one needs no
line here); a course's own homework records its values with dgmlab build --record-expected.
"""
import argparse
import sys

import homeworks
from dgmlab.grading.references import recorded


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python tools/record_expected.py", description=__doc__.split("\n\n")[0],
                                     epilog="A course's own homework: dgmlab build --record-expected <hw>.")
    kit = homeworks.names()
    parser.add_argument("hw", nargs="*", choices=[[], *kit][1:] or None,
                        help="the kit's homeworks to record (default: every one with references)")
    argv = parser.parse_args(argv).hw
    for hw in argv or kit:
        path = recorded.write_expected(hw)
        if path is not None:
            print(f"{hw}: wrote {path} ({path.stat().st_size} bytes)")
        elif argv:
            print(f"{hw}: no recorded values (homeworks/{hw}/hidden/ defines no EXPECTED)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
