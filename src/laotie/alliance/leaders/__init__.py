"""Group leaders (团长): offers to merchants, the sub-library, creators taking products through a leader, fees."""
