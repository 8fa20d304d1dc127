"""Start an IPython kernel with resource limits: what the grader runs a submission in.

    python -m rnnlib.coursework.kernel --memory-mb 4096 -f CONNECTION_FILE

The limits are set with ``resource.setrlimit`` in this process before the kernel starts,
so they bind the student's code and nothing else: ``RLIMIT_AS`` (address space: an
allocation beyond it raises ``MemoryError`` instead of exhausting the machine) and
``RLIMIT_CORE`` 0 (a crash leaves no core file).
"""

from __future__ import annotations

import sys


def set_limits(memory_mb: int | None) -> None:
    import resource

    if memory_mb:
        limit = int(memory_mb) * 2 ** 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    memory_mb = None
    if "--memory-mb" in argv:
        k = argv.index("--memory-mb")
        memory_mb = int(argv[k + 1])
        del argv[k:k + 2]
    set_limits(memory_mb)
    from ipykernel.kernelapp import launch_new_instance

    sys.argv = [sys.argv[0]] + argv
    launch_new_instance()


if __name__ == "__main__":
    main()
