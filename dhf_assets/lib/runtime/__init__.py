"""Settings from the environment and the torch process environment."""
