"""The demo company (Lumen Audio, a smart-speaker maker) and its guided tour: `make demo`."""
