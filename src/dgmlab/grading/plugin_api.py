"""The plug-in API: everything a course's own LMS or cluster plug-in imports, from this one module (docs/plugins.md).

    from dgmlab.grading import plugin_api as api

    class Brightspace(api.LmsPlatform):
        api_version = "1.0"  # the API it is written for: a dgmlab-grader of another major refuses it, saying so
        ...

:data:`API_VERSION` is this API's version, ``"major.minor"``: a minor adds names here, a major changes or removes
one, and the CHANGELOG says which. What a plug-in uses from elsewhere in dgmlab is not part of it and may change
in any release. The fakes of Canvas and of an LTI 1.3 platform to test a plug-in against are in
:mod:`dgmlab.grading.plugin_testing` (they need pytest-httpserver).

**An LMS** (entry-point group :data:`LMS`): subclass :class:`LmsPlatform` and implement ``push``; send each mark
through :func:`push_marks` with an :class:`Lms` (the mark the LMS shows a user, how one :class:`Student`'s mark is
sent; raise :class:`Skip` to leave one out) after :func:`check_maximum`, and return a :class:`Pushed` of the
:class:`MarksPushed`. ``Lms(platform=<the plug-in's name>)`` reads the students' user ids from the course's id map,
``lms_ids.csv``, in the column named as the plug-in (:func:`platform_ids`). A ``collect`` hands the files it
downloaded, each with its student (:class:`HandedIn`), to :func:`place`, which places them by the kit's rules.

**A cluster** (entry-point group :data:`CLUSTERS`): subclass :class:`ClusterPlatform` and implement ``client``; a
scheduler it starts speaks TLS with :func:`run_security`'s certificates, as the kit's do.

Errors a user can fix are a :class:`CourseError` (the commands print it and exit 2); :class:`Course` is the course
folder a plug-in is handed (``course.root``, ``course.settings(SomeConfigurable)``).
"""
from __future__ import annotations

from .autograde.cluster_platforms import ClusterPlatform
from .autograde.security import run_security
from .layout import Course, CourseError
from .lms.id_map import platform_ids
from .lms.placement import HandedIn, place
from .lms.platform import LmsPlatform, Pushed
from .lms.push_marks import Lms, Skip, Student, check_maximum, push_marks
from .lms.push_marks import Pushed as MarksPushed
from .plugins import API_VERSION, CLUSTERS, LMS

__all__ = [
    "API_VERSION", "LMS", "CLUSTERS", "Course", "CourseError",
    "LmsPlatform", "Pushed", "MarksPushed", "Lms", "Student", "Skip", "push_marks", "check_maximum", "platform_ids",
    "HandedIn", "place",
    "ClusterPlatform", "run_security",
]
