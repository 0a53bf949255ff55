"""A notebook cell executed as the book build executes it (nbclient), with a record of every
message the executor sends to the kernel: shared by the explorer tests (test_widgets.py,
test_explorer.py)."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient


def execute_headless(code: str, timeout: int) -> tuple[nbformat.NotebookNode, list[str]]:
    """Execute ``code`` as a one-cell notebook with nbclient (widget state stored, as in the book
    build); return the executed notebook and the types of the messages sent on the shell channel,
    in order."""
    sent: list[str] = []

    class SpyClient(NotebookClient):
        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            send = kc.shell_channel.send

            def spy(msg):
                sent.append(msg["header"]["msg_type"])
                return send(msg)

            kc.shell_channel.send = spy
            return kc

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    SpyClient(nb, timeout=timeout, kernel_name="python3").execute()
    return nb, sent
