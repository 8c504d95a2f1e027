"""Reading, cleaning, splitting, embedding and linking articles into the graph."""
