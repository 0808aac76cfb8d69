"""The joint-meeting deck: the quarter's figures as editable slides (PPTX) and a PDF. See deck/build.py."""

from deck.build import Spec, build, slide_keys, write

__all__ = ["Spec", "build", "slide_keys", "write"]
