"""Instructor tooling on top of nbgrader: release, autograde, feedback, grade report, dashboard.

Release and the CSV export run nbgrader's ``GenerateAssignment`` converter and export plugin in-process, configured
as ``nbgrader generate_assignment`` and ``nbgrader export`` would be; autograding and feedback run nbgrader's
``Autograde`` and ``GenerateFeedback`` converters in-process in each Dask worker, with dgmlab's
preprocessors added; the report and the dashboard read nbgrader's gradebook. The course directory
keeps nbgrader's layout and gradebook, so plain ``nbgrader ...`` commands keep working on the same files.

The proofs of the graded cells are authoring tooling (:mod:`dgmlab.authoring.proofs`), not part of the grader.
"""
