"""``dgmlab grade``: the written answers graded by hand, one question at a time, with rubrics, in the browser."""
