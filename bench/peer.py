#!/usr/bin/python3
"""The PyTorch peer of digits-bench: the project's networks as a PyTorch user would write them in
Python, timed on what digits-bench times (loading train.csv, a training step, one digit's
prediction). Debian's python3-torch runs the same LibTorch kernels the project links.

  /usr/bin/python3 bench/peer.py --train data/train.csv [--model seed|bncnn] [--channels-last]
                                 [--steps 60] [--batch 64] [--threads 2]

Prints one `name value ...` line a figure, which bench/compare reads: csv_load_s (pandas'
read_csv alone, not the conversion to tensors that load_kaggle_csv's time includes),
parameters, train_img_per_s (batch 64: SGD with momentum for seed, AdamW for bncnn, as
BM_TrainStep) and infer_latency_us (one image, as BM_Infer)."""
import argparse
import time

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

SIDE = 28  # image side in pixels
CLASSES = 10  # digits
MEAN, STD = 0.13, 0.31  # input normalisation of pixel / 255, as digits-bench's (MNIST's)
WIDTH = 32  # bncnn: channels of the first block, then 2x and 4x (ModelConfig's default)
DROPOUT = 0.4  # bncnn: dropout after each block (ModelConfig's default)
SGD_LR, SGD_MOMENTUM = 0.05, 0.9  # seed: BM_TrainStep's optimizer (plain momentum, no decay)
ADAMW_LR, ADAMW_DECAY = 3e-3, 1e-4  # bncnn: the trainer's default optimizer, AdamW
WARMUP_STEPS = 5  # untimed training steps first (allocations, kernel choice)
INFER_WARMUP = 20  # untimed predictions first
INFER_REPEATS = 300  # timed predictions; the latency is their mean
SEED = 0  # fixed weights and batch order, so runs differ only by the machine


class Seed(nn.Module):
    """The original program's network: conv 64@5x5 same, pool, conv 32@5x5, pool, linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 5, padding=2)
        self.conv2 = nn.Conv2d(64, 32, 5)
        self.fc = nn.Linear(32 * 5 * 5, CLASSES)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # 64 x 14 x 14
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # 32 x 5 x 5
        return self.fc(x.flatten(1))


def conv_bn(cin, cout, kernel, stride=1, padding=0):
    """A convolution without bias (batch norm supplies it), batch norm, ReLU."""
    return [nn.Conv2d(cin, cout, kernel, stride, padding, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True)]


def block(cin, cout):
    """Two 3x3 convolutions, then a strided 5x5 one that halves the size."""
    return nn.Sequential(*conv_bn(cin, cout, 3), *conv_bn(cout, cout, 3),
                         *conv_bn(cout, cout, 5, stride=2, padding=2))


class BnCnn(nn.Module):
    """The default network: two blocks, a 4x4 convolution, dropout after each, linear."""

    def __init__(self, width=WIDTH, dropout=DROPOUT):
        super().__init__()
        self.block1 = block(1, width)  # 28 -> 24 -> 12
        self.block2 = block(width, 2 * width)  # 12 -> 8 -> 4
        self.block3 = nn.Sequential(*conv_bn(2 * width, 4 * width, 4))  # 4 -> 1
        self.drop = nn.Dropout(dropout)  # one module, applied after each block
        self.fc = nn.Linear(4 * width, CLASSES)

    def forward(self, x):
        x = self.drop(self.block1(x))
        x = self.drop(self.block2(x))
        x = self.drop(self.block3(x).flatten(1))
        return self.fc(x)


MODELS = {'seed': Seed, 'bncnn': BnCnn}


def make_optimizer(model, net):
    """The optimizer digits-bench trains `model` with."""
    if model == 'seed':
        return torch.optim.SGD(net.parameters(), lr=SGD_LR, momentum=SGD_MOMENTUM)
    return torch.optim.AdamW(net.parameters(), lr=ADAMW_LR, weight_decay=ADAMW_DECAY)


def load_csv(path):
    """Kaggle's train.csv (or .csv.gz): uint8 images [N, 1, 28, 28], labels [N], and the seconds
    pandas' read_csv took (the parse alone: the conversion to tensors is left out of the time)."""
    start = time.perf_counter()
    frame = pd.read_csv(path)
    seconds = time.perf_counter() - start
    labels = torch.tensor(frame['label'].values)
    images = torch.from_numpy(frame.drop(columns='label').to_numpy(dtype='uint8'))
    return images.view(-1, 1, SIDE, SIDE), labels, seconds


def to_input(pixels, channels_last):
    """uint8 pixels to the network's input: 0..1, normalised, in the chosen memory format."""
    x = (pixels.float() / 255 - MEAN) / STD
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def train_step(net, optimizer, pixels, labels, channels_last):
    """One optimizer step on a batch, as the trainer takes it."""
    optimizer.zero_grad()
    loss = F.cross_entropy(net(to_input(pixels, channels_last)), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


def time_training(net, optimizer, images, labels, args):
    """Images per second over args.steps steps on shuffled batches, after a warm-up."""
    order = torch.randperm(len(labels))
    batches = len(labels) // args.batch

    def step(i):
        first = (i % batches) * args.batch
        index = order[first:first + args.batch]
        train_step(net, optimizer, images[index], labels[index], args.channels_last)

    net.train()
    for i in range(WARMUP_STEPS):
        step(i)
    start = time.perf_counter()
    for i in range(WARMUP_STEPS, WARMUP_STEPS + args.steps):
        step(i)
    return args.steps * args.batch / (time.perf_counter() - start)


def predict(net, pixels, channels_last):
    """The most likely digit of one uint8 image, as the drawing app asks after each stroke."""
    probabilities = F.softmax(net(to_input(pixels.view(1, 1, SIDE, SIDE), channels_last)), 1)
    return int(probabilities.argmax())


def time_inference(net, image, channels_last):
    """Microseconds to predict one image in inference mode: the mean of INFER_REPEATS."""
    net.eval()
    with torch.inference_mode():
        for _ in range(INFER_WARMUP):
            predict(net, image, channels_last)
        start = time.perf_counter()
        for _ in range(INFER_REPEATS):
            predict(net, image, channels_last)
    return (time.perf_counter() - start) / INFER_REPEATS * 1e6


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--train', required=True, help="Kaggle's train.csv (or .csv.gz)")
    p.add_argument('--model', choices=sorted(MODELS), default='bncnn',
                   help='the network (default: bncnn, the project\'s default)')
    p.add_argument('--channels-last', action='store_true', help='NHWC batches and weights')
    p.add_argument('--steps', type=int, default=60, help='timed training steps')
    p.add_argument('--batch', type=int, default=64, help='training batch size')
    p.add_argument('--threads', type=int, default=2, help="LibTorch's thread count")
    args = p.parse_args()
    if args.steps < 1 or args.batch < 2:
        p.error('--steps must be 1 or more and --batch 2 or more (batch norm needs two images)')
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # as digits' configure_runtime does
    torch.manual_seed(SEED)

    images, labels, load_s = load_csv(args.train)
    print(f'csv_load_s {load_s:.3f} rows {len(labels)}')
    if args.batch > len(labels):
        p.error(f'--batch {args.batch}: {args.train} has only {len(labels)} rows')
    net = MODELS[args.model]()
    if args.channels_last:
        net = net.to(memory_format=torch.channels_last)
    print(f'parameters {sum(t.numel() for t in net.parameters())} model {args.model}')
    optimizer = make_optimizer(args.model, net)
    rate = time_training(net, optimizer, images, labels, args)
    print(f'train_img_per_s {rate:.0f} batch {args.batch} steps {args.steps}')
    print(f'infer_latency_us {time_inference(net, images[0], args.channels_last):.0f}')


if __name__ == '__main__':
    main()
