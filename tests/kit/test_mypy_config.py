"""The type check's configuration ([tool.mypy] in pyproject.toml) keeps its strict packages strict.

`make lint` runs mypy itself (CI's first step); these tests only guard the configuration it reads: a package brought
to strict stays listed, with every strict flag, and the packages listed still exist (a module moved out of one would
otherwise fall back to the baseline unnoticed).
"""
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]
# what `mypy --strict` turns on that a per-module section can set (its two global-only flags are global)
STRICT_FLAGS = ("disallow_any_generics", "disallow_subclassing_any", "disallow_untyped_calls", "disallow_untyped_defs",
                "disallow_incomplete_defs", "check_untyped_defs", "disallow_untyped_decorators", "warn_unused_ignores",
                "warn_return_any", "no_implicit_reexport", "strict_equality", "extra_checks")
STRICT_PACKAGES = ("dgmlab.probes", "dgmlab.grading.judge", "dgmlab.grading.isolation", "dgmlab.grading.submission")


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]


def _strict_sections() -> list[dict]:
    return [section for section in _config()["overrides"] if section.get("disallow_untyped_defs")]


def test_the_strict_section_sets_every_strict_flag_and_code():
    (section,) = _strict_sections()
    assert all(section.get(flag) is True for flag in STRICT_FLAGS), [f for f in STRICT_FLAGS if not section.get(f)]
    assert sorted(section["enable_error_code"]) == sorted(_config()["disable_error_code"])
    assert _config()["warn_redundant_casts"] is True


def test_the_strict_packages_stay_listed():
    (section,) = _strict_sections()
    listed = set(section["module"])
    missing = [p for p in STRICT_PACKAGES if p not in listed and f"{p}.*" not in listed]
    assert not missing, f"{missing} left the strict section of [tool.mypy]"


def test_every_strict_module_named_exists():
    (section,) = _strict_sections()
    for name in section["module"]:
        path = ROOT / "src" / Path(*name.removesuffix(".*").split("."))
        assert path.is_dir() or path.with_suffix(".py").is_file(), f"[tool.mypy] names {name}, which is not in src/"
