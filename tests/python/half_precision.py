"""The bound the PyTorch tests hold 16-bit outputs to: the float64 result on the same (already
rounded) values, rounded to the type, or one unit in the last place away from it, and nearly
every output that rounding (a float32 error of 1e-7 rarely straddles a rounding boundary that
lies 2^-8 or 2^-11 apart). A conversion that truncated, or read one 16-bit type as the other,
misses both. The accuracy gate (bench/accuracy) measures the same bound over every method, ISA
and data family; this is the PyTorch operators' share of it."""

import torch

HALF_TYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16}


def unit_in_the_last_place(values, dtype):
    """The spacing of dtype's values at |values| (float64): 2^(e - p) for |v| = m 2^e, m in
    [0.5, 1), p the type's precision, floored at the spacing of its subnormals."""
    precision, smallest_exponent = {torch.bfloat16: (8, -125), torch.float16: (11, -13)}[dtype]
    _, exponent = torch.frexp(values.abs().double())
    return torch.pow(2.0, (exponent.clamp(min=smallest_exponent) - precision).double())


def within_one_unit_and_mostly_rounded(got, want64, dtype):
    assert got.dtype == dtype and got.shape == want64.shape
    rounded = want64.to(dtype)
    error = (got.double() - want64).abs()
    # One unit of the result's size, and float32's own error (a few ulps of float32 of the
    # output's scale) where the result is near zero and its unit smaller than that.
    bound = unit_in_the_last_place(want64, dtype) + 1e-6 * max(1.0, want64.abs().max().item())
    assert torch.all(error <= bound), f"max error {error.max().item():.3g}"
    exact = (got == rounded).double().mean().item()
    assert exact >= 0.99, f"{exact:.4f} of the outputs are the correctly rounded result"
