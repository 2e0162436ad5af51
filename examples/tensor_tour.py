# The PyTorch script that examples/tensor_tour.js ports line by line; run it to compare the printed numbers.
import torch

torch.manual_seed(0)
a = torch.rand(2, 3)
print('a\n', a)
b = torch.randn(3, 4)
print('b\n', b)
print('a @ b\n', a @ b)
print('a.t() @ a\n', a.t() @ a)
print(torch.tensor([1., 3, 3]).unsqueeze(1) * torch.arange(4))
print(b.softmax(1))
values, indices = b.max(1)
print(values, indices)
print(b.var(0), b.logsumexp(1))
x = torch.arange(12).view(3, 4)
print(x[1:, ::2])
print(torch.cat([x, x], 1).shape, x.chunk(2, 1)[1])
print(torch.randperm(8))
