"""The judge: check() test cells decided in the grader's own sandboxed process, never in the student's kernel."""
