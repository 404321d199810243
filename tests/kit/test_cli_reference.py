"""docs/cli.md is generated from dgmlab.cli.build_parser() by tools/cli_reference.py and matches it."""
import subprocess
import sys

from conftest import ROOT

TOOL = ROOT / "tools" / "cli_reference.py"


def _generate() -> str:
    res = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, 'tools'); import cli_reference; "
                          "sys.stdout.write(cli_reference.generate())"],
                         cwd=ROOT, capture_output=True, text=True, encoding="utf-8", check=True)
    return res.stdout


def test_docs_cli_md_matches_the_parser():
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == _generate(), "docs/cli.md differs from the parser: run `python tools/cli_reference.py`"


def test_reference_lists_every_command_and_option_with_its_help():
    import argparse

    from dgmlab.cli import build_parser

    text = _generate()
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        assert f"## dgmlab {name}\n" in text
        section = text.split(f"## dgmlab {name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"usage: dgmlab {name}" in section
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}" in section or f", {option}" in section, (name, option)
                    assert " ".join(action.help.split())[:30].replace("<", "\\<") in section, (name, option)


def test_check_mode_names_the_command_to_run(tmp_path):
    import shutil

    (tmp_path / "tools").mkdir()
    (tmp_path / "docs").mkdir()
    shutil.copy(TOOL, tmp_path / "tools" / "cli_reference.py")
    (tmp_path / "docs" / "cli.md").write_text("stale\n", encoding="utf-8")
    res = subprocess.run([sys.executable, str(tmp_path / "tools" / "cli_reference.py"), "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert "docs/cli.md is out of date: run `python tools/cli_reference.py`" in res.stderr
    assert (tmp_path / "docs" / "cli.md").read_text(encoding="utf-8") == "stale\n"
