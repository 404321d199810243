"""Stands in, inside a grading kernel's sandbox, for the ``__init__.py`` of a package only the grader has
(:data:`.kernel_sandbox.GRADER_ONLY`): importing it there fails as it would in a student's environment."""
raise ImportError("this package is the grader's: it is not in a student's environment, nor in a grading kernel")
