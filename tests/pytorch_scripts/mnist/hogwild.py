"""Hogwild training in the style of PyTorch's examples/mnist_hogwild: the model's parameters
in shared memory (``model.share_memory()``), 2 ``torch.multiprocessing`` processes started
with the ``spawn`` method each running SGD on the same model, then a test in the parent that
sees their updates. The argument parser extends main.py's (``parents=``), and the data and the
train/test loops are main.py's, imported as a sibling module. Data: scikit-learn's bundled
8x8 digits (no download)."""
from __future__ import print_function

import argparse

import torch
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data.sampler import Sampler

from main import get_args_parser, load_datasets, test, train

# Training settings: main.py's, with SGD's momentum and the number of processes
parser = argparse.ArgumentParser(description='PyTorch MNIST Hogwild Example',
                                 parents=[get_args_parser(add_help=False)])
parser.add_argument('--momentum', type=float, default=0.5, metavar='M',
                    help='SGD momentum (default: 0.5)')
parser.add_argument('--num-processes', type=int, default=2, metavar='N',
                    help='how many training processes to use (default: 2)')
parser.set_defaults(lr=0.1)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 64)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def train_process(rank, args, model, device, dataset, dataloader_kwargs):
    """One Hogwild worker: its own data order, its own SGD, the shared parameters."""
    torch.manual_seed(args.seed + rank)
    train_loader = torch.utils.data.DataLoader(dataset, **dataloader_kwargs)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch, losses=[])


if __name__ == '__main__':
    args = parser.parse_args()

    use_cuda = not args.no_accel and torch.cuda.is_available()
    device = torch.device("cuda" if use_cuda else "cpu")

    dataset1, dataset2 = load_datasets()
    kwargs = {'batch_size': args.batch_size,
              'shuffle': True}
    if use_cuda:
        kwargs.update({'num_workers': 1,
                       'pin_memory': True,
                       })
    test_loader = torch.utils.data.DataLoader(dataset2, batch_size=args.test_batch_size)

    torch.manual_seed(args.seed)
    mp.set_start_method('spawn', force=True)

    model = Net().to(device)
    model.share_memory()  # gradients are allocated lazily, so they are not shared here
    assert issubclass(torch.utils.data.RandomSampler, Sampler)

    first_loss, _ = test(model, device, test_loader)
    processes = []
    for rank in range(args.num_processes):
        p = mp.Process(target=train_process, args=(rank, args, model, device,
                                                   dataset1, kwargs))
        # We first train the model across `num_processes` processes
        p.start()
        processes.append(p)
    for p in processes:
        p.join()
    assert all(p.exitcode == 0 for p in processes), [p.exitcode for p in processes]

    # Once training is complete, we can test the model
    test_loss, accuracy = test(model, device, test_loader)
    print('loss {:.4f} -> {:.4f}'.format(first_loss, test_loss))
    print('accuracy {:.4f}'.format(accuracy))
