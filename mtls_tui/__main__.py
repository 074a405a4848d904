import sys

from mtls_tui.cli import main

sys.exit(main())
