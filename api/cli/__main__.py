"""``python -m api.cli``: the ``taskledger`` command."""

import sys

from api.cli import main

sys.exit(main())
