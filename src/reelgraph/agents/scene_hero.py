"""Scene hero: the shot a scene's other shots are matched to, measured once for the scene
(:mod:`reelgraph.colour.continuity`).

Inputs: the conformed pictures of the scene's shots, in brief order (``shots``), then the
:mod:`~reelgraph.agents.roto` mattes of those of them that are rotoscoped (``mattes``). Each
picture is
sampled once — :data:`~reelgraph.colour.continuity.SAMPLE_FRAMES` frames spread over the
shot, brought to :data:`~reelgraph.colour.render.SAMPLE_SIZE` — and the hero is the brief's
``hero`` or else the shot nearest the scene's median look
(:func:`~reelgraph.colour.continuity.choose_hero`). Every grade of the scene then reads the
hero's sampled frames from this one artifact, so a scene of n shots decodes n pictures for
its continuity, not n².

Output: ``hero.npy`` — the hero's sampled frames, encoded R'G'B' float32, shape
(frames, H, W, 3); an intermediate only the grades read, kept exactly as they were decoded
(NumPy's own format: no conversion, no precision lost) — ``hero_mattes.npy``, when the
hero is rotoscoped: the matte of each of those frames (the same frame numbers, at their
size), float32 (frames, H, W) — and in the description the hero, why, its transfer, the
mattes file (or null), and each shot's look (CIELAB L*, a*, b* medians and mean chroma).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reelgraph.agents._io import content_tag
from reelgraph.colour.continuity import choose_hero, look_statistics
from reelgraph.errors import PlanError
from reelgraph.orchestrator.agent import Agent, Cost, Input, NodeContext, Output

#: The hero's sampled frames inside the artifact.
STILLS_FILE = "hero.npy"
#: The mattes of the hero's sampled frames, when the hero is rotoscoped.
MATTES_FILE = "hero_mattes.npy"


@dataclass(frozen=True)
class SceneHeroParams:
    """Attributes:
    scene: the scene (names it in errors and the output).
    shots: shot ids of the inputs, in order.
    hero: the brief's hero of the scene ("" to take the shot nearest the median look).
    mattes: shot ids (of ``shots``) whose roto mattes follow the pictures as inputs.
    """

    scene: str = ""
    shots: tuple[str, ...] = ()
    hero: str = ""
    mattes: tuple[str, ...] = ()


def transfer_of(item: Input) -> str:
    tag = content_tag(item.meta)
    return tag.transfer if tag is not None else "bt709"


class SceneHero(Agent):
    name = "scene_hero"
    version = "2"  # 2: the hero's mattes, when it is rotoscoped
    description = (
        "pick the scene's hero (the brief's, or the shot nearest the scene's median look) "
        "and sample its frames once for every grade of the scene to match to"
    )
    Params = SceneHeroParams
    # A few sampled frames of each shot of the scene, whatever their length.
    cost = Cost("node", 1.0, overhead_cpu_s=0.3)

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        return {"kind": "scene_hero", "file": STILLS_FILE, "scene": params.scene}

    def run(self, ctx: NodeContext) -> Output:
        from reelgraph.agents.grade import sample_frames, sample_mattes

        params: SceneHeroParams = ctx.params
        if len(params.shots) + len(params.mattes) != len(ctx.inputs):
            raise PlanError(
                f"scene {params.scene!r}: {len(ctx.inputs)} inputs for {len(params.shots)} "
                f"shots and {len(params.mattes)} mattes",
                hint="run 'reelgraph plan' again",
            )
        shot_inputs = ctx.inputs[: len(params.shots)]
        matte_inputs = dict(zip(params.mattes, ctx.inputs[len(params.shots) :], strict=True))
        pictures = {}
        looks = {}
        for n, (shot, item) in enumerate(zip(params.shots, shot_inputs, strict=True)):
            pictures[shot] = sample_frames(item)
            looks[shot] = look_statistics(pictures[shot], transfer_of(item))
            ctx.progress(n + 1, len(params.shots) + 1)
        if params.hero:
            hero, why = params.hero, f"{params.hero} is the scene's hero (brief)"
        else:
            hero = choose_hero(looks)
            why = f"{hero} is nearest the scene's median look ({len(looks)} shots, measured)"
        np.save(ctx.out_dir / STILLS_FILE, np.stack(pictures[hero]).astype(np.float32))
        mattes_file: str | None = None
        if hero in matte_inputs:
            picture = shot_inputs[params.shots.index(hero)]
            mattes, why_not = sample_mattes(matte_inputs[hero], picture, pictures[hero])
            if mattes is not None:
                mattes_file = MATTES_FILE
                np.save(ctx.out_dir / MATTES_FILE, np.stack(mattes).astype(np.float32))
            else:
                why += f"; its matte is not used: {why_not}"
        ctx.progress(len(params.shots) + 1, len(params.shots) + 1)
        meta = self.describe_output([item.meta for item in shot_inputs], params)
        return Output(
            {
                **meta,
                "hero": hero,
                "hero_reason": why,
                "transfer": transfer_of(shot_inputs[params.shots.index(hero)]),
                "mattes": mattes_file,
                "looks": {shot: np.round(look, 3).tolist() for shot, look in looks.items()},
            }
        )


def hero_stills(item: Input) -> list[np.ndarray]:
    """The hero's sampled frames from a scene hero artifact."""
    stills = np.load(item.path / str(item.meta["file"]), allow_pickle=False)
    return [np.asarray(frame, np.float32) for frame in stills]


def hero_mattes(item: Input) -> list[np.ndarray] | None:
    """The mattes of the hero's sampled frames from a scene hero artifact (None when the
    hero is not rotoscoped)."""
    name = item.meta.get("mattes")
    if not name:
        return None
    stills = np.load(item.path / str(name), allow_pickle=False)
    return [np.asarray(matte, np.float32) for matte in stills]
