import sys

# The matrix orchestrates pip and its runs without the notebook machinery: dispatched before the
# rest of the command line loads (a workflow runs it with a handful of packages).
if sys.argv[1:2] == ["matrix"]:
    from .matrix.cli import main as matrix_main

    sys.exit(matrix_main(sys.argv[2:]))

from .cli import main  # noqa: E402

sys.exit(main())
