"""Who may talk to a grading's Dask scheduler: only a holder of this run's certificate (TLS, mutual).

A Dask client that reaches a scheduler runs code there (``Client.run_on_scheduler``) and in every worker
(``Client.run``); the scheduler of ``dgmlab autograde`` runs in the coordinating process, which holds the course,
the gradebook and the hidden tests. So no grading's scheduler listens on plain tcp:

- a LocalCluster, and the scheduler of ``--cluster slurm``, get a throw-away certificate authority and key made in
  memory for this run (:func:`run_security`, Dask's ``Security.temporary()``): a client, worker or nanny without
  them fails the TLS handshake;
- a scheduler given by address (one an admin runs) must be a ``tls://`` one, with the course's certificates
  (:class:`DgmlabDask`, else distributed's ``distributed.comm.tls.*`` settings); a plain ``tcp://`` address is
  refused unless the course sets ``c.DgmlabDask.insecure_allow_plain_tcp`` (:func:`external_security`).
"""
from __future__ import annotations

from traitlets import Bool, Unicode
from traitlets.config import Configurable

from ..layout import CourseError

DOCS = "docs/cluster.md, 'Who may connect'"


class DgmlabDask(Configurable):
    """How ``dgmlab autograde --cluster ADDRESS`` talks to a Dask scheduler it did not start
    (``c.DgmlabDask.<name>``). Each empty path falls back to distributed's own setting (``distributed.comm.tls.*``
    in ~/.config/dask/*.yaml or DASK_DISTRIBUTED__COMM__TLS__* variables)."""

    tls_ca_file = Unicode("", help="PEM file of the certificate authority that signed the scheduler's and workers' "
                                   "certificates; empty: distributed.comm.tls.ca-file.").tag(config=True)
    tls_client_cert = Unicode("", help="PEM certificate this process shows the scheduler (signed by that "
                                       "authority); empty: distributed.comm.tls.client.cert.").tag(config=True)
    tls_client_key = Unicode("", help="Its private key (readable by the course's user only); empty: "
                                      "distributed.comm.tls.client.key, or the key inside tls_client_cert."
                             ).tag(config=True)
    insecure_allow_plain_tcp = Bool(False, help="Accept a plain tcp:// scheduler address: anyone who can reach "
                                                "that scheduler then runs code in this process (the course, the "
                                                "gradebook, the hidden tests) and in the workers. Only for a "
                                                "scheduler reachable by no one else (e.g. a private network)."
                                    ).tag(config=True)


def run_security():
    """A per-run ``distributed.Security``: a new certificate authority and certificate, in memory only, for the
    scheduler, workers and client of one grading; encryption required."""
    from distributed.security import Security

    return Security.temporary()  # require_encryption=True, as temporary() sets it


def external_security(address: str, course=None):
    """The ``Security`` to reach the scheduler at ``address`` with, or ``None`` for a plain tcp one the course
    opted into; a :class:`CourseError` naming what to configure otherwise."""
    from distributed.comm import parse_address
    from distributed.security import Security

    opts = course.settings(DgmlabDask) if course is not None else DgmlabDask()
    try:
        scheme, _ = parse_address(address)
    except ValueError as exc:
        raise CourseError(f"--cluster {address!r} is not a Dask scheduler address (tls://HOST:PORT): {exc}") from exc
    if scheme != "tls":
        if scheme == "tcp" and opts.insecure_allow_plain_tcp:
            return None
        raise CourseError(
            f"--cluster {address}: refusing a {scheme}:// Dask scheduler: anyone who can reach it runs code in this "
            f"process (the course, gradebook and hidden tests) and in its workers. Run the scheduler and workers "
            f"with TLS (dask scheduler --protocol tls --tls-ca-file ... --tls-cert ... --tls-key ...), give "
            f"--cluster tls://HOST:PORT, and the course's certificate in c.DgmlabDask.tls_ca_file, tls_client_cert "
            f"and tls_client_key (or distributed.comm.tls.* in Dask's config); or, for a scheduler no one else can "
            f"reach, set c.DgmlabDask.insecure_allow_plain_tcp = True ({DOCS})")
    given = {k: v for k, v in (("tls_ca_file", opts.tls_ca_file), ("tls_client_cert", opts.tls_client_cert),
                               ("tls_client_key", opts.tls_client_key)) if v}
    security = Security(require_encryption=True, **given)
    missing = [name for name, value in (("tls_ca_file", security.tls_ca_file),
                                        ("tls_client_cert", security.tls_client_cert)) if not value]
    if missing:
        raise CourseError(f"--cluster {address}: no TLS certificate to show the scheduler: set "
                          f"{' and '.join('c.DgmlabDask.' + m for m in missing)} in nbgrader_config.py (or "
                          f"distributed.comm.tls.ca-file / client.cert / client.key in Dask's config) ({DOCS})")
    return security
