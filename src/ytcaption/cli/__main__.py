"""`python -m ytcaption.cli`."""

import sys

from ytcaption.cli import main

sys.exit(main())
