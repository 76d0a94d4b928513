"""Many texts into one output folder: here, in worker processes (local), or on a Dask
cluster (cluster); each text built by build.build, a failure kept to its text."""
