"""Print the benchmark results (benchmarks/results/*.json) as one markdown table of ratios.

Usage: python benchmarks/summarize.py [--results benchmarks/results]
"""

import argparse
import json
from pathlib import Path


def load(folder: Path, name: str):
    path = folder / name
    return json.loads(path.read_text()) if path.exists() else None


def scms_rows(d):
    for name, prob in d.get("problems", {}).items():
        res = prob["results"]
        ref = res["sconce-scms SCMSLog"]["seconds"]
        ours = res["ridgeline scms"]
        yield (f"SCMS vs sconce-scms ({name}: n = {prob['n']}, D = {prob['D']}, {prob['points']} points)",
               f"{ours['seconds']:.2f} s vs {ref:.1f} s: **{ours['speedup']:.0f}x**; fixed points agree to 1e-6: "
               f"{100 * ours['agree_1e-6']:.1f} %")


def rf_rows(d):
    q = d["quadrature"]["evaluations_for_1e-3"]
    yield ("RF moments U: quadrature vs plain Monte Carlo at 1e-3 relative error",
           f"{q['quadrature']:,} vs {q['monte_carlo']:,.0f} feature evaluations: **{q['ratio']:.0f}x fewer**")
    f = d["flow"]
    yield (f"W(tau) for 8 taus vs 1 tau (p = {f['p']}), and vs one matrix exponential per tau",
           f"ratio {f['ratio_8_to_1']:.2f}; matrix_exp per tau **{f['speedup_vs_matrix_exp']:.1f}x slower**")


def qmc_rows(d):
    def mean(rule, n_qmc, key):
        vals = [r[key] for r in d["rows"] if r["rule"] == rule and r["n_qmc"] == n_qmc]
        return sum(vals) / len(vals)

    for n_new, n_old in ((128, 512), (64, 512)):
        errs = ", ".join(f"{k} {mean('qmc', n_new, k):.1e} vs {mean('qmc_shared', n_old, k):.1e}"
                         for k in ("U", "V", "l_star"))
        cost = mean("qmc_shared", n_old, "seconds") / mean("qmc", n_new, "seconds")
        yield (f"RF moments in D = {d['dim']} (p = {d['p']}): {n_new} Sobol points scrambled per time node vs "
               f"{n_old} shared by all nodes", f"relative errors {errs}; **{cost:.1f}x less time**")


def frame_rows(d):
    for name, r in d["sets"].items():
        yield (f"ridge frames of {name} (n = {r['n']}, D = {r['D']}, span {r['span_dim']}), {r['points']} points: "
               f"full {r['D']} x {r['D']} eigh vs the span block",
               f"{r['full_seconds']:.4f} s vs {r['span_seconds']:.4f} s: **{r['speedup']:.1f}x**; P_N agrees to "
               f"{r['max_projection_difference']:.1e} on the {r['points_with_a_frame']} points with a frame")


def eigh_order_rows(d):
    by_set = {}
    for job, r in d["jobs"].items():
        by_set.setdefault(job.split("/")[0], r)
    sets = ", ".join(f"{name} (D = {r['D']}, span {r['span_dim']}): {r['largest_order'] or 'none'}"
                     for name, r in sorted(by_set.items()))
    yield ("largest eigh order in the trajectory-metrics jobs of the paper run (CUDA loops above 32)",
           f"batched **{d['largest_batched_order']}**; by set: {sets}")


def memory_rows(d):
    for case, g in d["growth"].items():
        sizes = [r["size"] for r in d["rows"] if r["case"] == case]
        extra = " / ".join(f"{v:.0f}" for v in g["working_minus_kept_mb"])
        peaks = " / ".join(f"{v:.0f}" for v in g["peak_mb"])
        yield (f"memory of {case} at sizes {' / '.join(f'{s:,}' for s in sizes)}",
               f"working beyond the returned arrays {extra} MB; peak RSS {peaks} MB")


def device_rows(d, label):
    for dev, rows in d["throughput"].items():
        text = ", ".join(f"{k} {v['sample_steps_per_s']:.3g}" for k, v in rows.items())
        yield (f"sampling throughput, sample-steps/s ({label}, {dev}, {d['threads']} threads)", text)
    for dev, rows in d.get("geometry", {}).items():
        yield (f"eigh of 2000 x 64 x 64 and SCMS of 500 points in D = 64 ({label}, {dev})",
               ", ".join(f"{k} {v:.3g}" for k, v in rows.items()))
    if "gpu_speedup" in d:
        yield (f"GPU / CPU throughput ({d['gpu']})", ", ".join(f"{k} {v:.1f}x" for k, v in d["gpu_speedup"].items()))
        yield ("CPU vs GPU agreement (max abs difference)",
               ", ".join(f"{k} {v:.1e}" for k, v in d["agreement_max_abs"].items()))


def pipeline_rows(d, label):
    jobs = d["jobs"]
    peak = max((j["max_rss_mb"] for j in jobs.values()), default=float("nan"))
    if "collected_from" in d:  # a run done elsewhere: only its jobs' times are known
        yield (f"{label}: {d['config']} on {d['cores']} cores (collected)",
               f"{len(jobs)} jobs done in {d['span_seconds']:.0f} s (first start to last end), "
               f"peak RSS per job {peak:.0f} MB")
        return
    yield (f"{label}: {d['config']} on {d['cores']} cores" + ("" if d.get("completed", True) else " (stopped)"),
           f"{d.get('wall_seconds_all_calls', d['wall_seconds']):.0f} s wall"
           + (f" over {len(d['calls_wall_seconds'])} calls" if len(d.get("calls_wall_seconds", [])) > 1 else "")
           + f", {len(jobs)} jobs, peak RSS per job {peak:.0f} MB")


def stage_ratio_rows(gpu, cpu, name="gpu/paper.json"):
    """Per rule: seconds summed over the jobs done in both runs, GPU run vs 2-core run."""
    both = sorted(set(gpu["jobs"]) & set(cpu["jobs"]))
    rules = sorted({name.split("/")[0] for name in both})
    parts = []
    for rule in rules:
        names = [n for n in both if n.split("/")[0] == rule]
        g = sum(gpu["jobs"][n]["seconds"] for n in names)
        c = sum(cpu["jobs"][n]["seconds"] for n in names)
        parts.append(f"{rule} {g:.0f} vs {c:.0f} s ({c / g:.2g}x)")
    yield (f"paper pipeline per stage, GPU machine ({gpu['cores']} cores, {name}) vs 2 cores, "
           f"summed job seconds ({len(both)} jobs done in both)", "; ".join(parts))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="benchmarks/results")
    folder = Path(parser.parse_args().results)
    rows = []
    sources = [("scms.json", scms_rows), ("rf.json", rf_rows), ("qmc.json", qmc_rows), ("frames.json", frame_rows),
               ("eigh_orders.json", eigh_order_rows), ("memory.json", memory_rows),
               ("devices.json", lambda d: device_rows(d, "2-core machine")),
               ("gpu/devices.json", lambda d: device_rows(d, "GPU machine")),
               ("pipeline_paper.json", lambda d: pipeline_rows(d, "paper pipeline")),
               ("pipeline_mnist.json", lambda d: pipeline_rows(d, "mnist_latent")),
               ("gpu/two_mode.json", lambda d: pipeline_rows(d, "two_mode on the GPU")),
               ("gpu/paper.json", lambda d: pipeline_rows(d, "paper pipeline on the GPU, config/gpu.yaml")),
               ("gpu/paper_all_gpu.json", lambda d: pipeline_rows(d, "paper pipeline on the GPU, every stage on CUDA"))]
    for name, fn in sources:
        data = load(folder, name)
        if data is not None:
            rows += list(fn(data))
    # the 2-core run of the code the GPU runs used (copied from pipeline_paper_streamed.json)
    cpu_paper = load(folder, "gpu/paper_cpu_reference.json")
    for name in ("gpu/paper.json", "gpu/paper_all_gpu.json"):
        gpu_paper = load(folder, name)
        if gpu_paper and cpu_paper:
            rows += list(stage_ratio_rows(gpu_paper, cpu_paper, name))
    metrics = load(folder, "metrics.json")
    if metrics:
        rows += [(f"trajectory metrics, {v['samples']} samples x {v['snapshots']} snapshots, n = {v['n']}, D = {v['D']}",
                  f"{v['seconds']:.1f} s ({v.get('threads', '?')} threads, {v.get('snapshot_workers', 1)} snapshot workers)")
                 for v in metrics.values()]
    print("| benchmark | result |\n|---|---|")
    for what, result in rows:
        print(f"| {what} | {result} |")


if __name__ == "__main__":
    main()
