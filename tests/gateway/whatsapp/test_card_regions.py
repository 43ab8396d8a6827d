"""The sender's country, then the channel's, reach the card reader with the photo: through
the worker's real pipeline (webhook → JetStream → worker → sandbox media), with the reader in
the worker's process and in the reader pool. The reader echoes the regions as the company."""

from collections.abc import AsyncIterator

import pytest

from gateway.reader_pool import ReaderPool
from ibbase_dev.simulate import reply_text
from tests.conftest import Pipeline
from tests.gateway.regions_echo import RegionsEcho
from tests.harness import WorkerTask

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture(params=["in-process", "pool"])
async def echo_worker(request: pytest.FixtureRequest, pipeline: Pipeline) -> AsyncIterator[None]:
    reader: ReaderPool | RegionsEcho
    if request.param == "pool":
        reader = ReaderPool("tests.gateway.regions_echo:RegionsEcho", processes=1, timeout_s=10)
    else:
        reader = RegionsEcho()
    task = WorkerTask(pipeline.settings, reader)
    try:
        yield
    finally:
        await task.stop()
        reader.close()


async def test_the_sender_and_channel_regions_reach_the_reader(
    pipeline: Pipeline, echo_worker: None
) -> None:
    # The sandbox's business number is 15550000000: +1, the US.
    username_only = pipeline.user(None, user_id="BR.13491208655302741918")  # type: ignore[arg-type]
    cases = [
        (pipeline.user("5511987654321"), "BR,US"),
        (pipeline.user("819012345678"), "JP,US"),
        (pipeline.user("12025550123"), "US"),  # the same country once
        (username_only, "US"),  # no number at all
    ]
    for user, regions in cases:
        msg_id = await user.send_image(b"\xff\xd8\xff photo bytes")
        reply = reply_text(await user.wait_reply(msg_id, timeout=30))
        assert f"🏢 {regions}" in reply.splitlines(), (user.wa_id, reply)
