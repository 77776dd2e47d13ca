"""Publishing one new image to 1, 10 and 500 OptiSigns screens, and the memory of a 200 MB upload.

Run with ``python -m bench optisigns_publish`` (or ``make bench``). Everything runs against a local
emulator started here, so API calls are counted exactly by the emulator's request log.

* **Provider**: upload the image, wait until it is ready, then one ``pushToScreens`` aimed at the
  screens' tag (after one listing of the screens, to check the tag exists).
* **Per-screen loop** (the baseline, measured in the same run): the same upload, then the screens
  listed and one ``updateDevice`` per screen (``assign_content``, which checks the ids with one more
  listing first), as a script looping over screens would do.

After each publication every target screen is checked, through the emulator's control API and
outside the timing, to show the new image; the call count must be the same in every repeat.

Wall times are shown as measured and as the provider's share of the loop's time: absolute times
depend on the machine, the ratio much less.

The memory figure comes from a separate process (the emulator is not in it): its resident memory,
sampled every 5 ms while it uploads a 200 MB file, against its resident memory just before.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCREEN_COUNTS = (1, 10, 500)
UPLOAD_MB = 200

_UPLOAD_SCRIPT = """
import json, sys, threading, tracemalloc
from signs_provider.optisigns.hooks import OptiSignsHook

def rss() -> int:  # current resident memory (Linux)
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096

hook = OptiSignsHook()
hook.test_connection()  # imports and the connection set up before measuring
before = rss()
peak = [before]
done = threading.Event()

def sample() -> None:
    while not done.wait(0.005):
        peak[0] = max(peak[0], rss())

sampler = threading.Thread(target=sample)
sampler.start()
tracemalloc.start()
hook.upload_file(sys.argv[1])
_, traced_peak = tracemalloc.get_traced_memory()
done.set()
sampler.join()
print(json.dumps({"rss_before": before, "rss_peak": max(peak[0], rss()), "traced_peak": traced_peak}))
"""


def _png(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (1920, 1080), (16, 24, 40)).save(path)
    return path


def _publish_provider(hook, image: Path, tag: str) -> str:
    asset = hook.upload_file(image, name="Bench slide")
    hook.wait_for_asset_ready(asset["_id"], poll_interval=0.05)
    hook.push_to_screens(asset_id=asset["_id"], tags=[tag])
    return asset["_id"]


def _publish_loop(hook, image: Path, tag: str) -> str:
    asset = hook.upload_file(image, name="Bench slide")
    hook.wait_for_asset_ready(asset["_id"], poll_interval=0.05)
    hook.assign_content([s["_id"] for s in hook.list_screens(tags=[tag])], asset_id=asset["_id"])
    return asset["_id"]


def _measure(
    emu, publish, hook, image: Path, tag: str, screen_ids: list[str], repeat: int = 3
) -> tuple[int, float]:
    """API calls of one publication (the same in every repeat), and the median wall time of ``repeat``."""
    times, calls = [], set()
    for _ in range(repeat):
        emu.control.reset_requests()
        started = time.perf_counter()
        asset_id = publish(hook, image, tag)
        times.append(time.perf_counter() - started)
        calls.add(emu.control.request_summary()["total"])
        # Not timed: every target screen shows the new image.
        wrong = [i for i in screen_ids if emu.control.screen(i).get("currentAssetId") != asset_id]
        if wrong:
            raise AssertionError(f"{publish.__name__}: {len(wrong)} screen(s) do not show asset {asset_id}")
    if len(calls) != 1:
        raise AssertionError(f"{publish.__name__}: the call count changed between repeats: {sorted(calls)}")
    return calls.pop(), statistics.median(times)


def _upload_memory(emu, workdir: Path) -> dict[str, int]:
    big = workdir / "big.mp4"
    with big.open("wb") as handle:  # real bytes, not a sparse file: the upload must read them all
        block = os.urandom(1024 * 1024)
        for _ in range(UPLOAD_MB):
            handle.write(block)
    env = {**os.environ, **emu.connections()}
    out = subprocess.run(
        [sys.executable, "-c", _UPLOAD_SCRIPT, str(big)], env=env, capture_output=True, text=True, check=True
    ).stdout
    big.unlink()
    return {**json.loads(out.strip().splitlines()[-1]), "file_size": UPLOAD_MB * 1024 * 1024}


def main() -> None:
    from signs_emulator import Emulator

    with (
        tempfile.TemporaryDirectory(prefix="signs-bench-") as tmp,
        Emulator(data_dir=tmp, asset_ready_seconds=0) as emu,
    ):
        os.environ.update(emu.connections())
        from signs_provider.common.transport import RetryPolicy
        from signs_provider.optisigns.hooks import OptiSignsHook

        screens = {
            count: emu.control.add_screens(
                count, tags=[f"bench-{count}"], path="/Bench", name_prefix=f"Bench {count}"
            )
            for count in SCREEN_COUNTS
        }
        hook = OptiSignsHook(retry_policy=RetryPolicy(max_attempts=1))
        hook.test_connection()
        image = _png(Path(tmp) / "slide.png")

        _publish_provider(hook, image, f"bench-{SCREEN_COUNTS[0]}")  # warm-up: connections, caches
        rows = []
        for count in SCREEN_COUNTS:
            tag = f"bench-{count}"
            calls, seconds = _measure(emu, _publish_provider, hook, image, tag, screens[count])
            loop_calls, loop_seconds = _measure(emu, _publish_loop, hook, image, tag, screens[count])
            rows.append((count, calls, loop_calls, seconds, loop_seconds))
        memory = _upload_memory(emu, Path(tmp))

    print("Publish one new image to N screens (API calls counted by the emulator):")
    print()
    print(
        "| screens | provider calls | per-screen loop calls | provider time | loop time | provider/loop time |"
    )
    print(
        "|--------:|---------------:|----------------------:|--------------:|----------:|-------------------:|"
    )
    for count, calls, loop_calls, seconds, loop_seconds in rows:
        print(
            f"| {count:>7} | {calls:>14} | {loop_calls:>21} | {seconds:>12.2f}s | {loop_seconds:>8.2f}s "
            f"| {seconds / loop_seconds:>18.2f} |"
        )
    mb = 1024 * 1024
    growth = memory["rss_peak"] - memory["rss_before"]
    print()
    print(f"Upload of a {memory['file_size'] // mb} MB file (separate process, streamed):")
    print()
    print(
        "| file size | RSS before | peak RSS during upload | growth | growth / file size | tracemalloc peak |"
    )
    print(
        "|----------:|-----------:|-----------------------:|-------:|-------------------:|-----------------:|"
    )
    print(
        f"| {memory['file_size'] / mb:.0f} MB | {memory['rss_before'] / mb:.0f} MB | {memory['rss_peak'] / mb:.0f} MB "
        f"| {growth / mb:.1f} MB | {growth / memory['file_size']:.1%} | {memory['traced_peak'] / mb:.1f} MB |"
    )


if __name__ == "__main__":
    main()
