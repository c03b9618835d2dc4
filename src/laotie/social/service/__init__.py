"""Social use cases that read across the graph: profiles and the following feed."""
