"""An optimizer + lr_scheduler training loop: an MLP on the digits with per-group learning
rates, SGD with momentum, nesterov and weight decay, ``StepLR`` stepped per epoch (and
``ReduceLROnPlateau`` on the validation loss for a second run with Adam), gradient clipping,
``get_last_lr()``, ``param_groups`` inspection and an optimizer/scheduler state_dict round
trip, as in everyday training scripts. Data: scikit-learn's bundled 8x8 digits."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.datasets import load_digits
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
digits = load_digits()
X = torch.tensor(digits.data / 16.0, dtype=torch.float32)
Y = torch.tensor(digits.target, dtype=torch.long)
train_ds = TensorDataset(X[:1400], Y[:1400])
val_X, val_Y = X[1400:], Y[1400:]
train_loader = DataLoader(train_ds, batch_size=64, shuffle=True)


def make_model():
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 10))


def validate(model):
    model.eval()
    with torch.no_grad():
        logits = model(val_X)
        loss = F.cross_entropy(logits, val_Y).item()
        acc = (logits.argmax(1) == val_Y).float().mean().item()
    model.train()
    return loss, acc


# ---- run 1: SGD, two param groups, StepLR ----------------------------------------------------
model = make_model()
optimizer = optim.SGD([
    {'params': model[0].parameters()},
    {'params': model[3].parameters(), 'lr': 0.05},
], lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
scheduler = lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)

first_loss, _ = validate(model)
for epoch in range(6):
    for inputs, targets in train_loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        optimizer.step()
    scheduler.step()
    val_loss, val_acc = validate(model)
    print(f"epoch {epoch} lr {scheduler.get_last_lr()} val loss {val_loss:.4f} acc {val_acc:.3f}")

assert np.allclose([g['lr'] for g in optimizer.param_groups], [0.1 * 0.25, 0.05 * 0.25])
assert np.allclose(scheduler.get_last_lr(), [0.025, 0.0125])

# the optimizer and scheduler resume from their state_dicts
opt_state, sched_state = optimizer.state_dict(), scheduler.state_dict()
optimizer2 = optim.SGD([
    {'params': model[0].parameters()},
    {'params': model[3].parameters(), 'lr': 0.05},
], lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
optimizer2.load_state_dict(opt_state)
scheduler2 = lr_scheduler.StepLR(optimizer2, step_size=3, gamma=0.5)
scheduler2.load_state_dict(sched_state)
assert scheduler2.last_epoch == 6 and optimizer2.param_groups[1]['lr'] == optimizer.param_groups[1]['lr']

# ---- run 2: Adam with ReduceLROnPlateau ----------------------------------------------------
model2 = make_model()
adam = optim.Adam(model2.parameters(), lr=1e-2)
plateau = lr_scheduler.ReduceLROnPlateau(adam, mode='min', factor=0.1, patience=0)
for epoch in range(4):
    for inputs, targets in train_loader:
        adam.zero_grad()
        F.cross_entropy(model2(inputs), targets).backward()
        adam.step()
    loss2, acc2 = validate(model2)
    plateau.step(loss2)
    print(f"adam epoch {epoch} lr {adam.param_groups[0]['lr']:.4g} val loss {loss2:.4f}")

print(f'loss {first_loss:.4f} -> {val_loss:.4f}')
print(f'accuracy {min(val_acc, acc2):.4f}')
