"""nbconvert's template environment from the inside: compiled templates shared between pages.

Voila renders each page with a new exporter, and nbconvert's ``TemplateExporter``
builds each exporter a new Jinja environment (``_create_environment``), so every
page compiles Voila's and nbconvert's templates again: about 14 templates, 12 ms
each, most of the 0.17 CPU-s a lesson page costs the server process, which renders
pages one at a time (a class of 60 arriving in 10 s waited 11 s for it).
:func:`share_compiled_templates` gives every such environment one Jinja bytecode
cache (Jinja's public ``BytecodeCache``), so each template is compiled once per
process. A template's cache entry is checked against its source (Jinja's own
checksum) and keyed by the environment's compile options, so an edited template or
another kind of environment is compiled anew.
"""

from __future__ import annotations

import threading

from jinja2 import BytecodeCache

PRIVATE_NAMES = (
    ("nbconvert.exporters.templateexporter.TemplateExporter", "_create_environment"),
)


class SharedBytecode(BytecodeCache):
    """Jinja bytecode kept in memory, for every environment of this process."""

    def __init__(self):
        self._code = {}
        self._lock = threading.Lock()

    def get_bucket(self, environment, name, filename, source):
        # Code compiled for one environment's options must not run in another's.
        options = (environment.is_async, environment.autoescape is True, environment.optimized,
                   tuple(sorted(environment.extensions)))
        bucket = super().get_bucket(environment, name, filename, source)
        bucket.key = f"{bucket.key}:{hash(options)}"
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket):
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        with self._lock:
            self._code[bucket.key] = bucket.bytecode_to_string()


SHARED = SharedBytecode()


def share_compiled_templates() -> None:
    """Make every nbconvert template environment of this process use :data:`SHARED`, once."""
    from nbconvert.exporters.templateexporter import TemplateExporter

    original = TemplateExporter._create_environment
    if getattr(original, "shares_bytecode", False):
        return

    def _create_environment(self):
        environment = original(self)
        environment.bytecode_cache = SHARED
        return environment

    _create_environment.shares_bytecode = True
    TemplateExporter._create_environment = _create_environment
