"""The shop experience score (店铺体验分): settings, recompute, history, the read interface."""
