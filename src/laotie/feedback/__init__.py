"""Reviews and buyer–shop messages: what buyers say after a purchase and how fast shops answer."""
