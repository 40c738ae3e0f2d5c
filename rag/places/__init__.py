"""Places of China: the national gazetteer (data), and finding places named in a text."""
from .gazetteer import LEVELS, Gazetteer, Place, gazetteer
from .mentions import Mention, find_mentions

__all__ = ["LEVELS", "Gazetteer", "Mention", "Place", "find_mentions", "gazetteer"]
