"""Instructor tooling on top of nbgrader: release, autograde, feedback, grade report, proofs.

Each step runs nbgrader's own command line in the course directory, so plain
``nbgrader ...`` commands keep working on the same files.
"""
