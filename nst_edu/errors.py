"""The package's exceptions: each message is one line that names the problem and the fix."""


class NstEduError(ValueError):
    """Base class for every error nst_edu raises on bad input."""


class ImageError(NstEduError):
    """An image could not be read, converted or written."""


class CatalogError(NstEduError):
    """A catalogue image is unknown, unreachable or corrupt."""


class LayerNameError(NstEduError, KeyError):
    """A VGG-19 layer name is not one of the paper's names."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""
