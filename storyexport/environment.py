"""Environment variables one layer sets and another reads, named once here so neither has to import the other
(the build must not load the media stack just to name a variable)."""

JOBS_ENV = "STORYEXPORT_JOBS"  # set by the build while doit -n N runs; read by media.ffmpeg.cpu_share
BLAS_ENV = "OPENBLAS_NUM_THREADS"  # numpy's OpenBLAS: one thread per media job (it spins a thread per core)
