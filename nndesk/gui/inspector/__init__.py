"""The Inspector page ("Look inside"): what every layer of the network makes of one input,
the details of any unit or feature map, and where the evidence for a class is."""

from .page import InspectorPage

__all__ = ["InspectorPage"]
