"""hifigan.models.dropout: the CPU mask's rate, scaling, gradient, reproducibility."""
import pytest
import torch
from torch import nn

from hifigan.models.dropout import Dropout, keep_mask


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_keep_mask_rate(p):
    torch.manual_seed(0)
    m = keep_mask((400, 1000), p)
    assert m.dtype == torch.bool and m.shape == (400, 1000)
    # 400k draws: the binomial standard error is <= 0.0008; every parity of position alike (the
    # four 16-bit parts of each 64-bit draw, the last one's top bit is always 0 and is masked off)
    for part in range(4):
        rate = 1 - m.flatten()[part::4].float().mean().item()
        assert abs(rate - p) < 0.004, (part, rate)


def test_dropout_scales_kept_values_and_gradients():
    torch.manual_seed(1)
    d = Dropout(0.25).train()
    for dtype in (torch.float32, torch.bfloat16):
        x = (torch.rand(64, 33, dtype=dtype) + 1).requires_grad_()  # no zeros of its own
        y = d(x)
        kept = y != 0
        assert 0.6 < kept.float().mean() < 0.9
        want = (x.detach().float() * (1 / 0.75)).to(dtype)  # one rounding (fp32: as F.dropout)
        assert torch.equal(y.detach()[kept], want[kept])
        y.sum().backward()
        assert torch.equal(x.grad[kept], torch.full_like(x.grad[kept], 1 / 0.75))
        assert torch.equal(x.grad[~kept], torch.zeros_like(x.grad[~kept]))


def test_dropout_follows_the_torch_generator_and_eval_is_identity():
    d = Dropout(0.1).train()
    x = torch.ones(10, 100)
    torch.manual_seed(5)
    a = d(x)
    torch.manual_seed(5)
    b = d(x)
    assert torch.equal(a, b)
    assert not torch.equal(a, d(x))  # the generator moved on
    d.eval()
    assert d(x) is x or torch.equal(d(x), x)
    assert isinstance(d, nn.Dropout) and Dropout(0.0).train()(x) is not None
    assert torch.equal(Dropout(1.0).train()(x), torch.zeros_like(x))
