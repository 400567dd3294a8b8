import matplotlib
from hypothesis import settings

matplotlib.use("Agg")

# Property tests explore fixed, reproducible examples: a red CI run can always be replayed.
settings.register_profile("book", derandomize=True, database=None, deadline=None)
settings.load_profile("book")
