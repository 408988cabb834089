"""Scale-out: a ROUTER/ROUTER broker in front of N worker processes, its control messages, and
the worker side of the link. Clients are unchanged: the broker speaks protocol v1 to them."""
