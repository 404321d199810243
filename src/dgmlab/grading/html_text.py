"""The dashboard's HTML: Jinja2 templates (``templates/dashboard/`` in this package) rendered with autoescape on,
so every value a template prints (a student's id or text, a file name, a failure reason) is text, never markup,
and numbers as an instructor reads them (:func:`fmt`, the templates' ``fmt`` filter)."""
from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup


def fmt(x, nd=2) -> str:
    return "–" if x is None else f"{round(float(x), nd):g}"


@lru_cache(maxsize=1)
def environment():
    """The templates' environment: autoescape on for every template, blocks' own newlines trimmed."""
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("dgmlab.grading", "templates/dashboard"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = fmt
    return env


def render(template: str, **context) -> Markup:
    """``templates/dashboard/<template>`` rendered with ``context``, as markup another template includes as it
    is: its values were escaped by autoescape as it was rendered."""
    return Markup(environment().get_template(template).render(**context))
