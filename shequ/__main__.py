"""``python -m shequ``: the same as the ``shequ`` console command."""

import sys

from shequ.cli import main

sys.exit(main())
