"""The one error type the data layer raises for unreadable or invalid data."""


class DataError(ValueError):
    """A dataset file is missing, unreadable or invalid.

    The message is one plain sentence naming the file (and row, where there is one)
    and what is wrong with it, fit to show to the person as it is.
    """
