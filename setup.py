"""The compiled part of yingji: one C module for the hot loops of CAP import (the rest is in pyproject.toml).

It reads lxml's trees through lxml's public C structure, so it is built against the headers of the lxml
it runs with (the same pinned version is in ``[build-system] requires`` and ``requirements.lock``).
"""

import lxml
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "yingji.warnings.cap._native",
            sources=["src/yingji/warnings/cap/_native.c"],
            include_dirs=lxml.get_include(),
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
            optional=True,  # no C compiler: CAP import runs in Python alone (the tests insist on the module)
        )
    ]
)
