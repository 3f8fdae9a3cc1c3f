"""The systemd target driver: images flattened into root directories, run by units."""
