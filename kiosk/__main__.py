"""`python -m kiosk ...`: the same as the `kiosk` command."""

from kiosk.launcher import main

main()
