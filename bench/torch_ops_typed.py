"""simdnorm's PyTorch operators against PyTorch's own, by element type: one call of each,
torch.nn.functional's and simdnorm.torch's, alternating in one process on the same tensors,
at 1 and 2 threads (both libraries on PyTorch's intra-op pool, simdnorm.torch's default).

    PYTHONPATH=build/test/python /usr/bin/python3 bench/torch_ops_typed.py [--dtype bfloat16]

Each time is the median over --rounds rounds of the median of --reps calls; the ratio is
PyTorch's time over simdnorm's. Parameters are of the input's type, since PyTorch 1.13 refuses
float32 weights beside a bfloat16 layer-norm input. float16 has no PyTorch norm on CPU in 1.13
(those rows then say so). Group norm + SiLU is PyTorch's two calls against simdnorm's one
(activation="silu"), and add + layer norm PyTorch's x + residual then layer norm against
simdnorm's add_layer_norm (both giving y and the sum). Prints a Markdown table.
"""

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

import simdnorm.torch as snt


def median_seconds(call, reps):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cases(dtype):
    """(name, PyTorch's call, simdnorm's call) on tensors of dtype."""
    generator = torch.Generator().manual_seed(0)

    def tensor(*shape, memory_format=torch.contiguous_format, positive=False):
        t = torch.rand(*shape, generator=generator) + 0.5 if positive else torch.randn(
            *shape, generator=generator)
        return t.to(dtype).contiguous(memory_format=memory_format)

    found = []
    for rows, d in ((512, 768), (64, 4096)):
        x, w, b = tensor(rows, d), tensor(d, positive=True), tensor(d)
        found.append((f"layer norm {rows} x {d}",
                      lambda x=x, w=w, b=b, d=d: F.layer_norm(x, [d], w, b),
                      lambda x=x, w=w, b=b, d=d: snt.layer_norm(x, [d], w, b)))
        r = tensor(rows, d)

        def add_then_norm(x=x, r=r, w=w, b=b, d=d):
            h = x + r
            return F.layer_norm(h, [d], w, b), h

        found.append((f"add + layer norm {rows} x {d} (y and the sum)", add_then_norm,
                      lambda x=x, r=r, w=w, b=b, d=d: snt.add_layer_norm(x, r, [d], w, b)))
    for layout, memory_format in (("NCHW", torch.contiguous_format),
                                  ("channels-last", torch.channels_last)):
        x = tensor(1, 320, 64, 64, memory_format=memory_format)
        w, b = tensor(320, positive=True), tensor(320)
        found.append((f"group norm 1 x 320 x 64 x 64 G=32, {layout}",
                      lambda x=x, w=w, b=b: F.group_norm(x, 32, w, b),
                      lambda x=x, w=w, b=b: snt.group_norm(x, 32, w, b)))
        found.append((f"group norm + SiLU 1 x 320 x 64 x 64 G=32, {layout}",
                      lambda x=x, w=w, b=b: F.silu(F.group_norm(x, 32, w, b)),
                      lambda x=x, w=w, b=b: snt.group_norm(x, 32, w, b, 1e-5, "silu")))
        x = tensor(8, 256, 56, 56, memory_format=memory_format)
        mean, var, w = tensor(256), tensor(256, positive=True), tensor(256, positive=True)
        found.append((f"batch norm inference 8 x 256 x 56 x 56, {layout}",
                      lambda x=x, m=mean, v=var, w=w: F.batch_norm(x, m, v, w),
                      lambda x=x, m=mean, v=var, w=w: snt.batch_norm(x, m, v, w)))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="bfloat16")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    dtype = getattr(torch, args.dtype)
    print(f"| threads | {args.dtype} call | PyTorch {torch.__version__} us | simdnorm us | "
          "PyTorch / simdnorm |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for threads in args.threads:
        snt.set_num_threads(threads)
        for name, theirs, ours in cases(dtype):
            try:
                theirs()
            except RuntimeError as error:  # no such kernel in this PyTorch
                ours()
                ours_time = statistics.median(median_seconds(ours, args.reps)
                                              for _ in range(args.rounds))
                print(f"| {threads} | {name} | ({str(error).splitlines()[0]}) | "
                      f"{ours_time * 1e6:.1f} | |")
                continue
            ours()
            their_times, our_times = [], []
            for _ in range(args.rounds):
                their_times.append(median_seconds(theirs, args.reps))
                our_times.append(median_seconds(ours, args.reps))
            theirs_time, ours_time = statistics.median(their_times), statistics.median(our_times)
            print(f"| {threads} | {name} | {theirs_time * 1e6:.1f} | {ours_time * 1e6:.1f} | "
                  f"{theirs_time / ours_time:.2f}x |")


if __name__ == "__main__":
    main()
