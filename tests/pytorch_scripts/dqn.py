"""Deep Q-learning in the style of the "Reinforcement Learning (DQN)" tutorial: a
``namedtuple`` Transition and a ``deque`` ReplayMemory, epsilon-greedy ``select_action`` with
``policy_net(state).max(1).indices.view(1, 1)``, ``non_final_mask`` batches, ``gather`` of the
taken actions' values, SmoothL1Loss, ``clip_grad_value_``, AdamW(amsgrad=True) and a soft
target update -- through the state_dict as the tutorial does, and through ``.data`` as older
code does: ``target_param.data.copy_(tau * param.data + (1 - tau) * target_param.data)``.
The environment, written here, is a corridor of 6 cells (no gym); the optimal Q is known, so
learning is measured as the Q error and the greedy policy's accuracy."""
import math
import random
from collections import deque, namedtuple
from itertools import count

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

N_CELLS = 6
GAMMA = 0.9


class Corridor:
    """Cells 0..5; action 0 moves left, 1 right; reaching cell 5 gives reward 1 and ends."""

    def reset(self):
        self.pos = random.randrange(N_CELLS - 1)
        return self.observe()

    def observe(self):
        return [1.0 if i == self.pos else 0.0 for i in range(N_CELLS)]

    def step(self, action):
        self.pos = max(0, self.pos - 1) if action == 0 else self.pos + 1
        terminated = self.pos == N_CELLS - 1
        return self.observe(), float(terminated), terminated


def optimal_q():
    """Q*(s, right) = GAMMA ** (steps to the goal - 1); Q*(s, left) = GAMMA * V*(cell to the
    left), and V* is the value of going right."""
    q = torch.zeros(N_CELLS - 1, 2)
    for s in range(N_CELLS - 1):
        q[s, 1] = GAMMA ** (N_CELLS - 2 - s)
    for s in range(N_CELLS - 1):
        q[s, 0] = GAMMA * q[max(0, s - 1), 1]
    return q


Transition = namedtuple('Transition', ('state', 'action', 'next_state', 'reward'))


class ReplayMemory(object):

    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        """Save a transition"""
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)


class DQN(nn.Module):

    def __init__(self, n_observations, n_actions):
        super(DQN, self).__init__()
        self.layer1 = nn.Linear(n_observations, 32)
        self.layer2 = nn.Linear(32, 32)
        self.layer3 = nn.Linear(32, n_actions)

    # Called with either one element to determine next action, or a batch
    # during optimization. Returns tensor([[left0exp,right0exp]...]).
    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)


BATCH_SIZE = 32
EPS_START = 0.9
EPS_END = 0.05
EPS_DECAY = 300
TAU = 0.05
LR = 3e-3

random.seed(0)
torch.manual_seed(0)
device = torch.device("cpu")
env = Corridor()
n_actions = 2
state = env.reset()
n_observations = len(state)

policy_net = DQN(n_observations, n_actions).to(device)
target_net = DQN(n_observations, n_actions).to(device)
target_net.load_state_dict(policy_net.state_dict())

optimizer = optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
memory = ReplayMemory(2000)

steps_done = 0


def select_action(state):
    global steps_done
    sample = random.random()
    eps_threshold = EPS_END + (EPS_START - EPS_END) * \
        math.exp(-1. * steps_done / EPS_DECAY)
    steps_done += 1
    if sample > eps_threshold:
        with torch.no_grad():
            # t.max(1) will return the largest column value of each row.
            # second column on max result is index of where max element was
            # found, so we pick action with the larger expected reward.
            return policy_net(state).max(1).indices.view(1, 1)
    else:
        return torch.tensor([[random.randrange(n_actions)]], device=device, dtype=torch.long)


def optimize_model():
    if len(memory) < BATCH_SIZE:
        return
    transitions = memory.sample(BATCH_SIZE)
    # Transpose the batch (see https://stackoverflow.com/a/19343/3343043 for
    # detailed explanation). This converts batch-array of Transitions
    # to Transition of batch-arrays.
    batch = Transition(*zip(*transitions))

    # Compute a mask of non-final states and concatenate the batch elements
    # (a final state would've been the one after which simulation ended)
    non_final_mask = torch.tensor(tuple(map(lambda s: s is not None,
                                          batch.next_state)), device=device, dtype=torch.bool)
    non_final_next_states = torch.cat([s for s in batch.next_state
                                       if s is not None])
    state_batch = torch.cat(batch.state)
    action_batch = torch.cat(batch.action)
    reward_batch = torch.cat(batch.reward)

    # Compute Q(s_t, a) - the model computes Q(s_t), then we select the
    # columns of actions taken. These are the actions which would've been taken
    # for each batch state according to policy_net
    state_action_values = policy_net(state_batch).gather(1, action_batch)

    # Compute V(s_{t+1}) for all next states.
    next_state_values = torch.zeros(BATCH_SIZE, device=device)
    with torch.no_grad():
        next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
    # Compute the expected Q values
    expected_state_action_values = (next_state_values * GAMMA) + reward_batch

    # Compute Huber loss
    criterion = nn.SmoothL1Loss()
    loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))

    # Optimize the model
    optimizer.zero_grad()
    loss.backward()
    # In-place gradient clipping
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()


def q_error():
    states = torch.eye(N_CELLS)[:N_CELLS - 1]
    with torch.no_grad():
        q = policy_net(states)
    target = optimal_q()
    greedy_ok = (q.argmax(1) == 1).float().mean().item()
    return ((q - target) ** 2).mean().item(), greedy_ok


first_error, _ = q_error()
for i_episode in range(40):
    # Initialize the environment and get its state
    state = env.reset()
    state = torch.tensor(state, dtype=torch.float32, device=device).unsqueeze(0)
    for t in count():
        action = select_action(state)
        observation, reward, terminated = env.step(action.item())
        reward = torch.tensor([reward], device=device)
        done = terminated or t >= 20

        if terminated:
            next_state = None
        else:
            next_state = torch.tensor(observation, dtype=torch.float32, device=device).unsqueeze(0)

        # Store the transition in memory
        memory.push(state, action, next_state, reward)

        # Move to the next state
        state = next_state

        # Perform one step of the optimization (on the policy network)
        optimize_model()

        # Soft update of the target network's weights
        # θ′ ← τ θ + (1 −τ )θ′
        if i_episode % 2 == 0:
            target_net_state_dict = target_net.state_dict()
            policy_net_state_dict = policy_net.state_dict()
            for key in policy_net_state_dict:
                target_net_state_dict[key] = policy_net_state_dict[key]*TAU + target_net_state_dict[key]*(1-TAU)
            target_net.load_state_dict(target_net_state_dict)
        else:
            for target_param, param in zip(target_net.parameters(), policy_net.parameters()):
                target_param.data.copy_(TAU * param.data + (1 - TAU) * target_param.data)

        if done:
            break
    if i_episode % 10 == 0:
        error, greedy = q_error()
        print(f'episode {i_episode}: steps {t + 1}, Q error {error:.4f}, greedy right {greedy:.2f}')

error, greedy = q_error()
print('Complete')
print(f'loss {first_error:.5f} -> {error:.5f}')
print(f'accuracy {greedy:.4f}')
