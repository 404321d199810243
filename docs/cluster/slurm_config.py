# SLURM (docs/cluster.md): `dgmlab autograde <hw> --cluster slurm`, run on the login node from the course directory,
# submits these jobs of grading workers. Add to the course's nbgrader_config.py; edit the values for your site.
c.DgmlabSlurm.partition = "cpu"          # your partition (`sinfo` lists them); "": the cluster's default  --partition
c.DgmlabSlurm.account = "dgm-course"     # your allocation; "": none                                      --account
c.DgmlabSlurm.jobs = 8                   # jobs submitted                                                 --slurm-jobs
c.DgmlabSlurm.cores = 4                  # CPUs per job: as many one-thread workers, one grading each at a time
c.DgmlabSlurm.memory = 10                # GiB per grading: a job asks for cores x memory (a kernel maps up to 8)
c.DgmlabSlurm.walltime = "02:00:00"      # each job's time limit
c.DgmlabSlurm.prologue = [               # what a job runs before its workers start
    "source /shared/dgm/venv/bin/activate",     # the same dgmlab as on the login node
    "export DGMLAB_DATA=/shared/dgm/datasets",  # data the notebooks load while graded
]
