"""``dgmlab gradescope <hw>``: the homework as a Gradescope autograder (docs/gradescope.md; the steps in Gradescope:
docs/instructor_guide.md, "Grade in Gradescope").

Gradescope builds an image from the zip (``setup.sh``, once), then for every submission runs ``run_autograder``
in a fresh container and shows the ``/autograder/results/results.json`` it writes. The parts, one job each:
:mod:`.autograder_zip` (the zip: scripts, the homework's grading files, the course's draw key), :mod:`.wheels` (the
dgmlab and dgmlab-grader wheels it carries), :mod:`.run` (one submission graded by the worker code of ``dgmlab
autograde``, :func:`dgmlab.grading.autograde.worker.grade_submission`): :mod:`.handed` (the submission, the bundle
and the wall, read once into one record), :mod:`.seeds` (the graded draws' seeds, the copy check in a process of its
own), :mod:`.memory` (the grading's peak memory; the kernel stopped before the container's limit), :mod:`.results`
(Gradescope's results.json from that grading, or none where the grader failed), :mod:`.late_policy`, :mod:`.measured`
(the bench's peaks, and the memory the build says to set) and :mod:`.boundary` (which wall keeps the student's kernel
from the grader in the container; :mod:`dgmlab.grading.isolation.user_kernel` runs the kernel as an unprivileged user
where bubblewrap cannot run).
"""
