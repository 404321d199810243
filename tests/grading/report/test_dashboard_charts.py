"""The dashboard's charts carry a text alternative that says what they show, numbers included, escaped."""
import html
import re

import torch

from dgmlab.grading.report import dashboard_charts as C
from dgmlab.grading.report.class_data import Submission
from dgmlab.grading.report.class_stats import summary


def _alt(img: str) -> str:
    """The ``alt`` text of the one ``<img>`` in ``img``, unescaped."""
    found = re.findall(r'<img class="(?:chart|samples)" alt="([^"]*)" src="data:image/', img)
    assert len(found) == 1, img[:200]
    return html.unescape(found[0])


def test_the_histogram_says_the_statistics_and_how_many_submissions_fall_in_each_range():
    scores = [2.0, 3.0, 3.5, 9.0, 10.0]
    alt = _alt(C.histogram(scores, summary(scores), 10, "hw1"))
    assert alt.startswith("Histogram of hw1's total scores, 5 submissions, 0 to 10 points: mean 5.5, median 3.5,")
    # five bins of 2 points (as many as the scores, at least 5): the empty ones are left out
    assert alt.endswith("quartiles 3 and 9. Submissions per score range: 2 to 4: 3, 8 to 10: 2.")


def test_the_points_bars_list_each_students_autograded_and_hand_graded_points():
    subs = [Submission("bob", "hw1", "graded", score=7, auto_score=5, manual_score=2),
            Submission("ada", "hw1", "graded", score=4, auto_score=4, manual_score=0)]
    alt = _alt(C.auto_manual_bars(subs, 6, 4, "hw1"))
    assert "autograded (of 6) plus graded by hand (of 4)" in alt
    assert alt.endswith("lowest total first: ada 4 + 0; bob 5 + 2.")


def test_the_pass_rate_bars_list_each_cells_rate():
    rows = [{"cell": "q1", "pass_rate": 0.5, "kind": "auto"},
            {"cell": "q2_written", "pass_rate": 1 / 3, "kind": "manual"},
            {"cell": "q3", "pass_rate": None, "kind": "auto"}]  # not autograded yet: no bar, not listed
    alt = _alt(C.pass_rate_bars(rows, "hw1"))
    assert alt.endswith("full points: q1 50%; q2_written (by hand) 33.3%.")


def test_the_sample_grid_says_how_many_samples_of_which_file(tmp_path):
    path = tmp_path / "graded_draw_100.pt"
    torch.save(torch.rand(30, 1, 28, 28), path)
    img, why = C.sample_grid(path)
    assert why == "" and _alt(img).startswith("The first 30 samples in graded_draw_100.pt, drawn in a 10 by 10 grid")


def test_a_students_id_in_a_chart_description_is_text_not_markup():
    subs = [Submission('"><script>x</script>', "hw1", "graded", score=1, auto_score=1, manual_score=0)]
    img = C.auto_manual_bars(subs, 1, 0, "hw1")
    assert "<script>" not in img and '"><script' not in img
    assert '"><script>x</script> 1 + 0' in _alt(img)
