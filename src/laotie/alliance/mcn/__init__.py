"""MCNs (机构): contracts with creators, the MCN's share split out of each commission, its creators' sales."""
