"""A homework has one import name: the kit's folders are built as the package their checks and hidden tests are
imported from, ``homeworks.<hw>``; a folder of another course directory is never taken for the kit's
(dgmlab.authoring.build._load)."""
import importlib
import shutil

from conftest import ROOT
from dgmlab.authoring import homeworks


def test_a_kit_homework_is_built_from_its_package_imported_once():
    builder = homeworks(ROOT)["hw3_flows"]
    assert builder.module is importlib.import_module("homeworks.hw3_flows")
    assert builder.proofs is importlib.import_module("homeworks.hw3_flows.proofs")
    assert homeworks(ROOT)["hw3_flows"].module is builder.module  # loaded again: the same module, not a second copy


def test_a_builder_reads_its_proofs_names_without_adding_them_to_the_package():
    builder = homeworks(ROOT)["hw3_flows"]
    assert builder.MUTANTS is importlib.import_module("homeworks.hw3_flows.proofs").MUTANTS
    assert not hasattr(builder.module, "MUTANTS") and not hasattr(builder.module, "build")


def test_a_copy_of_a_kit_homework_in_another_course_is_not_taken_for_the_kits(tmp_path):
    shutil.copytree(ROOT / "homeworks" / "hw3_flows", tmp_path / "homeworks" / "hw3_flows",
                    ignore=shutil.ignore_patterns("__pycache__"))
    builder = homeworks(tmp_path)["hw3_flows"]
    assert builder.module is not importlib.import_module("homeworks.hw3_flows")
    assert builder.module.__file__ == str(tmp_path / "homeworks" / "hw3_flows" / "__init__.py")
