"""GradingKernelClient: a grading's kernel is ready once it answers kernel_info with IOPub connected, without
jupyter_client's fixed wait for IOPub to fall quiet (0.2 s of every kernel start)."""
import asyncio
from queue import Empty

import pytest

from dgmlab.grading.isolation import kernels


class Channel:
    """A channel holding ``messages``; records the timeout of each ``get_msg``."""

    def __init__(self, messages):
        self.messages, self.timeouts = list(messages), []

    async def get_msg(self, timeout=None):
        self.timeouts.append(timeout)
        if not self.messages or self.messages[0] is None:
            self.messages[:1] = []
            raise Empty
        return self.messages.pop(0)


def client(shell, iopub, alive=True):
    kc = kernels.GradingKernelClient()
    kc._shell_channel, kc._iopub_channel = shell, iopub
    kc.kernel_info = lambda: "id"
    kc._handle_kernel_info_reply = lambda msg: setattr(kc, "got_reply", msg)

    async def is_alive():
        return alive

    kc._async_is_alive = is_alive
    return kc


def test_a_grading_kernel_manager_makes_this_client():
    assert isinstance(kernels.GradingKernelManager().client(), kernels.GradingKernelClient)


def test_ready_once_the_reply_came_and_iopub_spoke_taking_what_iopub_holds_without_waiting():
    reply = {"msg_type": "kernel_info_reply", "content": {}}
    iopub = Channel([{"msg_type": "status", "content": {"execution_state": "busy"}},
                     {"msg_type": "status", "content": {"execution_state": "idle"}}])
    kc = client(Channel([reply]), iopub)
    asyncio.run(kc.wait_for_ready(timeout=5))
    assert kc.got_reply is reply and not iopub.messages  # both statuses taken
    assert iopub.timeouts[0] > 0 and all(t == 0 for t in iopub.timeouts[1:]), iopub.timeouts


def test_a_reply_before_iopub_is_connected_asks_again():
    reply = {"msg_type": "kernel_info_reply", "content": {}}
    iopub = Channel([None, {"msg_type": "status", "content": {}}])  # None: nothing yet (not connected)
    kc = client(Channel([reply, reply]), iopub)
    asked = []
    kc.kernel_info = lambda: asked.append(1)
    asyncio.run(kc.wait_for_ready(timeout=5))
    assert len(asked) == 2 and kc.got_reply is reply


def test_a_kernel_that_died_before_replying_is_said():
    kc = client(Channel([]), Channel([]), alive=False)
    with pytest.raises(RuntimeError, match="died before replying"):
        asyncio.run(kc.wait_for_ready(timeout=5))
