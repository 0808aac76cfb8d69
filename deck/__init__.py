"""The joint-meeting deck: the quarter's figures as editable slides (PPTX) and a PDF. See deck/build.py."""

from deck.build import Spec, build, document, make, slide_keys

__all__ = ["Spec", "build", "document", "make", "slide_keys"]
