"""Face-box proposals on whole murals: detection, curator decisions, write-back."""
