"""The error a build stops with (its own module, so that :mod:`.build` and the modules it calls share it)."""


class BuildError(RuntimeError):
    """A builder or a course layout that cannot be built; the message says what to fix."""
