"""Where a build starts: the claims and their schemas, data files, source notebooks and their generated cells."""
