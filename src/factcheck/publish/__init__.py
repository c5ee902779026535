"""Files published besides the pages: each notebook's verified-with banner, the fwbench wheel, the social card."""
