"""Report images of the paper's figures, drawn from the marts: pure functions returning PNG bytes.

Figures are rendered by matplotlib's Agg canvas directly, never through pyplot: no window, no
global state, safe in the code server and in threads.
"""
