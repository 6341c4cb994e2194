"""IPython startup file for `make test-notebooks-elsewhere`: every notebook kernel runs on the
second device of tests/second_device.py (PYTHONPATH holds tests/), as a student's kernel runs on a GPU.
The Makefile copies it into a private IPYTHONDIR's profile_default/startup/."""
import second_device as _second_device

_second_device_block = _second_device.second_device()
_second_device_block.__enter__()  # held for the kernel's life
