"""Model code that tiny test checkpoints ship as their remote code (copied into the checkpoint folder)."""
