"""The plan: create / recreate (with reason) / keep / remove, and dependency levels."""

from __future__ import annotations

from sealift.deploy.plan import changed_fields, dependency_levels, make_plan
from sealift.targets.base import DesiredComponent, ObservedComponent


def comp(name: str, depends_on: list[str] | None = None, **spec: object) -> DesiredComponent:
    return DesiredComponent(
        name, {"image": "x", "env": {}, "replicas": 1, **spec}, depends_on or []
    )


def running(*desired: DesiredComponent) -> dict[str, ObservedComponent]:
    return {d.name: ObservedComponent(d.name, [d.hash] * d.spec["replicas"], 1) for d in desired}


def test_unchanged_components_are_kept() -> None:
    web, api = comp("web", ["api"]), comp("api")
    plan = make_plan([web, api], running(web, api), {"web": web, "api": api})
    assert [(s.component, s.action) for s in plan.steps] == [("web", "keep"), ("api", "keep")]
    assert plan.is_empty


def test_changed_new_and_removed_components() -> None:
    old_web, old_api, old_gone = comp("web"), comp("api"), comp("gone")
    new_web, new_api, added = comp("web", env={"A": "1"}), comp("api", image="y"), comp("new")
    plan = make_plan(
        [new_web, new_api, added],
        running(old_web, old_api, old_gone),
        {"web": old_web, "api": old_api, "gone": old_gone},
    )
    steps = {s.component: (s.action, s.reason) for s in plan.steps}
    assert steps == {
        "web": ("recreate", "env changed"),
        "api": ("recreate", "image changed"),
        "new": ("create", "new component"),
        "gone": ("remove", "not in the new version"),
    }


def test_drift_and_missing_containers() -> None:
    web = comp("web")
    drifted = {"web": ObservedComponent("web", ["somethingelse"], 1)}
    assert make_plan([web], drifted, {"web": web}).steps[0].reason.startswith("running spec")
    assert make_plan([web], {}, {"web": web}).steps[0].reason == "not running"


def test_replica_count_out_of_step_is_recreated() -> None:
    web = comp("web", replicas=2)
    observed = {"web": ObservedComponent("web", [web.hash], 1)}
    assert make_plan([web], observed).steps[0].action == "recreate"


def test_dependency_levels() -> None:
    levels = dependency_levels(
        [
            comp("web", ["api"]),
            comp("api", ["db", "cache"]),
            comp("db"),
            comp("cache"),
            comp("worker", ["db"]),
        ]
    )
    assert levels == [["cache", "db"], ["api", "worker"], ["web"]]


def test_changed_fields_sorted() -> None:
    assert changed_fields({"a": 1, "b": 2}, {"a": 2, "c": 3}) == ["a", "b", "c"]


def test_stopped_container_with_the_right_spec_is_recreated() -> None:
    """e.g. stopped by an operation that died before removing it: not something to keep."""
    web = comp("web")
    stopped = {"web": ObservedComponent("web", [web.hash], 1, not_running=1)}
    step = make_plan([web], stopped, {"web": web}).steps[0]
    assert (step.action, step.reason) == ("recreate", "not running")


def job(**spec: object) -> DesiredComponent:
    return comp("migrate", kind="job", **spec)


def test_a_job_runs_again_only_when_its_spec_changed() -> None:
    old, new = job(), job(env={"A": "1"})
    done = {"migrate": ObservedComponent("migrate", [old.hash], 1, not_running=1)}
    assert make_plan([old], done, {"migrate": old}).steps[0].action == "keep"
    assert make_plan([old], done, {"migrate": old}).steps[0].reason == "spec unchanged"
    step = make_plan([new], done, {"migrate": old}).steps[0]
    assert (step.action, step.reason) == ("run", "env changed")
    assert make_plan([old], {}, None).steps[0].reason == "new job"


def test_a_job_whose_run_failed_or_was_cut_short_runs_again() -> None:
    migrate = job()
    failed = ObservedComponent("migrate", [migrate.hash], 1, not_running=1, failed=1)
    still_running = ObservedComponent("migrate", [migrate.hash], 1)
    assert make_plan([migrate], {"migrate": failed}).steps[0].reason == "its last run failed"
    step = make_plan([migrate], {"migrate": still_running}).steps[0]
    assert (step.action, step.reason) == ("run", "its last run was interrupted")


def test_a_job_whose_container_was_pruned_is_kept_when_its_spec_is_the_recorded_one() -> None:
    migrate = job()
    assert make_plan([migrate], {}, {"migrate": migrate}).steps[0].action == "keep"
    step = make_plan([job(env={"B": "2"})], {}, {"migrate": migrate}).steps[0]
    assert (step.action, step.reason) == ("run", "not run yet")
