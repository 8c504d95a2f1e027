"""`python -m citegraph` runs the command line."""
from citegraph.entry import main

main()
