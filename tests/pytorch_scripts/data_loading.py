"""DataLoader-heavy training in the style of the "Writing Custom Datasets, DataLoaders and
Transforms" tutorial: a Dataset returning dict samples, callable transform classes composed
in order, random_split, a custom collate_fn, a WeightedRandomSampler for class balance,
ConcatDataset, Subset and a BatchSampler, then a softmax-regression model trained on it.
Data: CSV written from scikit-learn's bundled digits (no download)."""
import csv
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset,
                              SequentialSampler, Subset, WeightedRandomSampler, random_split)
from torch.utils.data.dataloader import default_collate

torch.manual_seed(0)

# Write the data as a CSV file, as the tutorial's face-landmarks CSV
digits = load_digits()
if not os.path.exists('digits.csv'):
    with open('digits.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['label'] + [f'px{i}' for i in range(64)])
        for image, label in zip(digits.data, digits.target):
            writer.writerow([int(label)] + [int(v) for v in image])


class DigitsDataset(Dataset):
    """Digits dataset read from a CSV file."""

    def __init__(self, csv_file, transform=None):
        """
        Arguments:
            csv_file (string): Path to the csv file with the labels and pixels.
            transform (callable, optional): Optional transform to be applied
                on a sample.
        """
        with open(csv_file) as f:
            rows = list(csv.reader(f))[1:]
        self.frame = np.array(rows, dtype=np.int64)
        self.transform = transform

    def __len__(self):
        return len(self.frame)

    def __getitem__(self, idx):
        if torch.is_tensor(idx):
            idx = idx.tolist()
        label = self.frame[idx, 0]
        image = self.frame[idx, 1:].reshape(8, 8).astype('float32')
        sample = {'image': image, 'label': label}

        if self.transform:
            sample = self.transform(sample)

        return sample


class Rescale(object):
    """Scale pixel values to [0, 1]."""

    def __init__(self, max_value):
        assert isinstance(max_value, (int, float))
        self.max_value = max_value

    def __call__(self, sample):
        image, label = sample['image'], sample['label']
        return {'image': image / self.max_value, 'label': label}


class ToTensor(object):
    """Convert ndarrays in sample to Tensors."""

    def __call__(self, sample):
        image, label = sample['image'], sample['label']
        # numpy image: H x W; torch image: C x H x W
        image = image[None, :, :]
        return {'image': torch.from_numpy(image),
                'label': torch.tensor(label)}


class Compose(object):
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, sample):
        for t in self.transforms:
            sample = t(sample)
        return sample


transformed_dataset = DigitsDataset(csv_file='digits.csv',
                                    transform=Compose([Rescale(16.0), ToTensor()]))

for i, sample in enumerate(transformed_dataset):
    print(i, sample['image'].size(), sample['label'].item())
    if i == 3:
        break

train_set, val_set = random_split(transformed_dataset, [0.8, 0.2],
                                  generator=torch.Generator().manual_seed(42))
print(len(train_set), len(val_set))


def collate_flat(batch):
    """A custom collate_fn: stack the images flat, keep the labels as a tensor."""
    batch = default_collate(batch)
    return batch['image'].view(len(batch['label']), -1), batch['label']


# balance the classes with a WeightedRandomSampler
train_labels = torch.tensor([int(train_set[i]['label']) for i in range(len(train_set))])
class_count = torch.bincount(train_labels, minlength=10).float()
weights = (1.0 / class_count)[train_labels]
sampler = WeightedRandomSampler(weights, num_samples=len(train_set), replacement=True)
train_loader = DataLoader(train_set, batch_size=32, sampler=sampler, collate_fn=collate_flat)

# validation: the held-out split plus a Subset of it again through ConcatDataset,
# read with an explicit BatchSampler
val_plus = ConcatDataset([val_set, Subset(val_set, range(10))])
val_loader = DataLoader(val_plus, batch_sampler=BatchSampler(SequentialSampler(val_plus),
                                                             batch_size=50, drop_last=False),
                        collate_fn=collate_flat)

for i_batch, (images, labels) in enumerate(train_loader):
    print(i_batch, images.size(), labels.size())
    if i_batch == 1:
        break

model = nn.Linear(64, 10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)


def evaluate():
    model.eval()
    total, correct, loss_sum = 0, 0, 0.0
    with torch.no_grad():
        for images, labels in val_loader:
            logits = model(images)
            loss_sum += F.cross_entropy(logits, labels, reduction='sum').item()
            correct += (logits.argmax(dim=1) == labels).sum().item()
            total += labels.size(0)
    return loss_sum / total, correct / total


first_loss, _ = evaluate()
for epoch in range(3):
    model.train()
    for images, labels in train_loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
    val_loss, val_acc = evaluate()
    print(f'epoch {epoch}: val loss {val_loss:.4f} val acc {val_acc:.3f}')

print(f'loss {first_loss:.4f} -> {val_loss:.4f}')
print(f'accuracy {val_acc:.4f}')
