"""The modules of dgmlab and of the kit's homeworks, for the tests that read their source (import circles, local
imports): ``{dotted name: (path, is_package)}``. The template homeworks, copied into a course or the kit, are not."""
from conftest import ROOT


def kit_modules() -> dict:
    found = {}
    for base, top in ((ROOT / "src", "dgmlab"), (ROOT, "homeworks")):
        for path in (base / top).rglob("*.py"):
            if "homework_template" in path.parts:
                continue
            parts = list(path.relative_to(base).with_suffix("").parts)
            package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found
