"""kefu's scaled mode: the loopback launcher (local.py), its load driver and deployment files."""
